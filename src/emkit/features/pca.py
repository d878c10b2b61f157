"""PCA of an embedding block, fitted on the training split only (the one implementation).

The evaluation reduces every embedding block of a feature frame with it, once per fold
(:func:`emkit.evaluation.fold_features`); use it directly when you fit a model yourself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from emkit.errors import EmkitError
from emkit.features.schema import FeatureSchema, pca_column

__all__ = ["EmbeddingPCA"]


class EmbeddingPCA:
    """Reduce the embedding columns of one block to principal components (``<block>_pca_00`` …).

    Fit it on the training split's rows only, then transform every split. Rows whose embedding
    is not usable are left out of the fit and get NaN components: rows with a missing value
    always, and all-zero rows (a day without text) unless ``keep_empty_days``. With fewer usable
    training days than components, fewer components are kept; with none, the block is dropped
    without replacement.

    Args:
        n_components: Components kept at most (default 16, as the seed suggests for the TFT).
            A float in ``(0, 1)`` instead keeps the fewest components that explain that share
            of the training rows' variance (as scikit-learn's ``PCA``), so the training split
            chooses how many (:attr:`n_components_` after :meth:`fit`).
        block: The embedding block (``"llm"``, ``"hf"``); its columns are found by role.
        seed: Random state of the solver.
        columns: The block's columns, when the caller already knows them (default: the
            ``embedding`` columns of ``block`` in the frame's schema, see
            :class:`~emkit.FeatureSchema`).
        keep_empty_days: Fit and project all-zero embeddings like any other row (the
            evaluation's per-fold PCA does, so that a day without text gets components).
    """

    def __init__(
        self,
        n_components: int | float = 16,
        block: str = "llm",
        seed: int = 0,
        columns: Sequence[str] | None = None,
        keep_empty_days: bool = False,
    ) -> None:
        if isinstance(n_components, bool) or not (
            (isinstance(n_components, int) and n_components >= 1)
            or (isinstance(n_components, float) and 0.0 < n_components < 1.0)
        ):
            raise EmkitError(
                f"n_components must be a whole number >= 1 or a share of variance in (0, 1) "
                f"(got {n_components!r})"
            )
        self.n_components = n_components
        self.block = block
        self.seed = seed
        self.columns = None if columns is None else list(columns)
        self.keep_empty_days = keep_empty_days

    def fit(self, frame: pd.DataFrame) -> Self:
        """Fit on the (training) rows of ``frame``. Returns ``self``.

        Raises:
            EmkitError: when ``frame`` has no embedding column of the block.
        """
        from sklearn.decomposition import PCA

        columns = self.columns
        if columns is None:
            columns = FeatureSchema.of(frame).embedding_blocks().get(self.block, [])
        if not columns:
            raise EmkitError(f"no {self.block}_emb_NNN columns to reduce")
        matrix = frame[columns].to_numpy(dtype=np.float64)
        usable = matrix[self._usable(matrix)]
        self.columns_ = list(columns)
        self.pca_ = None
        share = isinstance(self.n_components, float)
        if share and len(usable) >= 2:
            self.pca_ = PCA(n_components=self.n_components, svd_solver="full").fit(usable)
            return self
        # A count; or a share on a single usable day, which has no variance to share out: one
        # component, as a count of 1 would keep.
        k = min(1 if share else int(self.n_components), len(columns), len(usable))
        if k > 0:
            # One usable day has no variance: scikit-learn's ratios divide 0 by n - 1 = 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                self.pca_ = PCA(n_components=k, random_state=self.seed).fit(usable)
        return self

    @staticmethod
    def parse_components(value: float) -> int | float:
        """A number read from a command line as ``n_components``: a count or a share.

        A whole number >= 1 becomes an ``int`` count (``8.0`` -> ``8``); a value in ``(0, 1)``
        stays a share of variance.

        Raises:
            EmkitError: any other value (0, 1.5, a negative number, NaN).
        """
        if 0.0 < value < 1.0:
            return float(value)
        if value >= 1.0 and float(value).is_integer():
            return int(value)
        raise EmkitError(
            f"{value:g} is neither a whole number of components >= 1 nor a share in (0, 1)"
        )

    @property
    def n_components_(self) -> int:
        """Components kept by :meth:`fit` (0 when the block is dropped)."""
        if not hasattr(self, "columns_"):
            raise EmkitError("EmbeddingPCA.n_components_ read before fit")
        return 0 if self.pca_ is None else int(self.pca_.n_components_)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the block's columns replaced by ``<block>_pca_NN`` components."""
        if not hasattr(self, "columns_"):
            raise EmkitError("EmbeddingPCA.transform called before fit")
        rest = frame.drop(columns=self.columns_)
        if self.pca_ is None:
            return rest
        matrix = frame[self.columns_].to_numpy(dtype=np.float64)
        ok = self._usable(matrix)
        components = np.full((len(frame), self.pca_.n_components_), np.nan)
        if ok.any():
            components[ok] = self.pca_.transform(matrix[ok])
        names = [pca_column(self.block, i) for i in range(components.shape[1])]
        reduced = pd.DataFrame(components, index=frame.index, columns=names)
        return pd.concat([rest, reduced], axis=1)

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same (training) frame."""
        return self.fit(frame).transform(frame)

    def _usable(self, matrix: np.ndarray) -> np.ndarray:
        """Rows with a finite embedding that is not all zeros (unless ``keep_empty_days``)."""
        usable = np.isfinite(matrix).all(axis=1)
        if not self.keep_empty_days:
            usable &= np.abs(matrix).sum(axis=1) > 0
        return np.asarray(usable)
