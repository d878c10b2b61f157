"""Errors of the fine-tuning plugin; all are medcards user errors (the CLI prints them plainly)."""

from __future__ import annotations

from medcards import MedcardsError


class FinetuneError(MedcardsError):
    """Base class of the fine-tuning plugin's errors."""


class DatasetError(FinetuneError):
    """An SFT dataset file or row is unusable (names the file, the line and the field)."""


class CudaUnavailableError(FinetuneError):
    """A trainer that needs a CUDA device was asked to run without one."""


class ExportError(FinetuneError):
    """A model could not be merged, converted to GGUF or quantized."""
