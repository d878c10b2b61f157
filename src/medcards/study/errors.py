"""The study engine's error types (all :class:`~medcards.MedcardsError`, so user errors)."""

from __future__ import annotations

from medcards.errors import MedcardsError


class StudyError(MedcardsError):
    """Base class of the study engine's user-facing errors."""


class StudyDatabaseError(StudyError):
    """The study database cannot be used: corrupted, not SQLite, or missing tables."""


class StudyDatabaseVersionError(StudyDatabaseError):
    """The study database was written by a newer medcards (its schema version is unknown)."""


class UnknownTopicError(StudyError):
    """No topic with that title or id in the study database."""


class UnknownCardError(UnknownTopicError):
    """No card with that id in the study database.

    It subclasses :class:`UnknownTopicError` (which unknown cards raised before) so that code
    catching that keeps working.
    """


class InvalidRatingError(StudyError):
    """A rating outside 1 (Fail) ... 4 (Easy)."""


class DuplicateReviewError(StudyError):
    """A rating for a card that was already rated since it was shown (double submit, two tabs).

    Attributes:
        card_id: The card.
        review_id: The review already recorded for it.
    """

    def __init__(self, message: str, *, card_id: int, review_id: int | None) -> None:
        """Keep the card and the review already recorded."""
        super().__init__(message)
        self.card_id = card_id
        self.review_id = review_id
