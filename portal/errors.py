"""Typed errors that services raise when a rule is broken; views turn them into a message
beside the field and a 409 or 422 answer."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the portal forbids the change. `message` is for the person who asked;
    `field` names the form field it concerns, when there is one."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """The record changed or is in a state where the change no longer applies."""

    status_code = 409
