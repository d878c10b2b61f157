"""Another embedder for emkit: the MiniLLM feature set from a local Hugging Face model folder.

Importing this package does not import torch or transformers.
"""

from __future__ import annotations

from emkit_transformers.extractor import HFModelError, TransformersExtractor

__all__ = ["HFModelError", "TransformersExtractor"]
