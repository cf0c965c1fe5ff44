"""The one error a finishing step raises for input a person can fix."""

from __future__ import annotations


class FinishingError(ValueError):
    """Bad finishing input, in words for the user; ``field`` names the form field it
    belongs to, so a form can show it next to that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
