"""Errors of the MiniLLM plugin (user errors: the CLI prints them without a traceback)."""

from __future__ import annotations

from emkit import EmkitError


class MiniLLMError(EmkitError):
    """A MiniLLM request cannot be carried out (bad corpus, mismatched tokenizer, ...)."""


class CheckpointError(MiniLLMError):
    """A checkpoint is missing, corrupted or unsafe to load; the message names the file."""
