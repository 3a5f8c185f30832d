"""The one exception type a user ever sees."""


class GdsimError(ValueError):
    """Bad input from a person (a setting, a number, a file).

    The message is written for that person: one line that says what is wrong
    and, where it helps, what would be right. Code that catches it shows the
    message as it is and leaves the state it was asked to change untouched.
    """
