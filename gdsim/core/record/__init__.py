"""What a run records as it goes: the history and the weight trace, in bounded memory."""
