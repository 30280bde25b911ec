"""Errors the command line turns into exit statuses.

UserError: bad input (a file, node or option is wrong): one line, exit 2.
Anything else escaping a command is an internal error: exit 1.
"""


class UserError(Exception):
    """Bad input. The message is one line and names the file, node or option."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
