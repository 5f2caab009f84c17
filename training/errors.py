"""The error services raise for anything a person can fix: a message, and the field it concerns."""


class ServiceError(Exception):
    """A refusal to show next to ``field`` (or at the top of the page when it names none)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field
