"""The one exception type a user ever sees, and how any message to a person is worded."""


class GdsimError(ValueError):
    """Bad input from a person (a setting, a number, a file).

    The message is written for that person: one line that says what is wrong
    and, where it helps, what would be right. Code that catches it shows the
    message as it is and leaves the state it was asked to change untouched.
    """


def sentence(text: str) -> str:
    """A message as a sentence: its first letter a capital, whoever wrote it."""
    return text[:1].upper() + text[1:]


def quoted(text: str, limit: int = 40) -> str:
    """A name or a cell as it appears in a message: quoted, on one line, not too long."""
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return repr(text)


def reason(exc: BaseException) -> str:
    """Why an operation failed, in words for the end of a message: the system's words for an
    OSError ("No space left on device"), else the first line of the exception. Never NumPy's
    advice to load "unsafely", nor a parser's object reprs: those say only that data is damaged."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if "pickle" in text or ("<" in text and "object at 0x" in text):
        return "damaged"
    return text
