"""PCA of day embeddings, fitted on the training split only."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from emkit.errors import EmkitError
from emkit.temporal import embedding_columns

__all__ = ["EmbeddingPCA"]


class EmbeddingPCA:
    """Reduce ``<source>emb_NNN`` columns to ``n_components`` (``<source>pca_00`` …).

    Fit it on the training split's rows only, then transform every split. Days without text
    (all-zero embeddings) are left out of the fit and get NaN components.

    Args:
        n_components: Components kept (default 16, as the seed suggests for the TFT).
        source: Column prefix of the embeddings (``"llm_"`` or ``"hf_"``).
        seed: Random state of the solver.
    """

    def __init__(self, n_components: int = 16, source: str = "llm_", seed: int = 0) -> None:
        self.n_components = n_components
        self.source = source
        self.seed = seed

    def fit(self, frame: pd.DataFrame) -> Self:
        """Fit on the training rows of ``frame``. Returns ``self``."""
        from sklearn.decomposition import PCA

        columns = embedding_columns(frame, self.source)
        if not columns:
            raise EmkitError(f"no {self.source}emb_NNN columns to reduce")
        matrix = frame[columns].to_numpy(dtype=np.float64)
        matrix = matrix[np.abs(matrix).sum(axis=1) > 0]
        k = min(self.n_components, len(columns))
        if len(matrix) < k:
            raise EmkitError(
                f"PCA with {k} components needs at least {k} days with text, got {len(matrix)}"
            )
        self.columns_ = columns
        self.pca_ = PCA(n_components=k, random_state=self.seed).fit(matrix)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its embedding columns replaced by ``<source>pca_NN`` components."""
        if not hasattr(self, "pca_"):
            raise EmkitError("EmbeddingPCA.transform called before fit")
        matrix = frame[self.columns_].to_numpy(dtype=np.float64)
        components = self.pca_.transform(matrix)
        components[np.abs(matrix).sum(axis=1) == 0] = np.nan
        names = [f"{self.source}pca_{i:02d}" for i in range(components.shape[1])]
        reduced = pd.DataFrame(components, index=frame.index, columns=names)
        return pd.concat([frame.drop(columns=self.columns_), reduced], axis=1)

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same (training) frame."""
        return self.fit(frame).transform(frame)
