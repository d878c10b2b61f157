"""medcards' error types. All derive from :class:`MedcardsError`, itself a user error."""

from __future__ import annotations

from _sdk import UserError


class MedcardsError(UserError):
    """Base class of medcards' user-facing errors."""


class BackendError(MedcardsError):
    """A backend failed: server down, model missing, context too long, malformed output."""


class CardRejected(MedcardsError):
    """No valid, grounded card could be produced.

    Args:
        topic: The topic of the request.
        reasons: Why each attempt was rejected.
    """

    def __init__(self, topic: str, reasons: list[str]) -> None:
        self.topic = topic
        self.reasons = reasons
        listed = "\n".join(f"  - {r}" for r in reasons)
        super().__init__(f"card for {topic!r} rejected after {len(reasons)} problem(s):\n{listed}")
