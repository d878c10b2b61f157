"""Feature schemas: the columns of a feature frame and the role each one plays.

Code that treats columns differently — the store keeps embeddings as float32, the evaluation
reduces each embedding block with a per-fold PCA, the ablation groups columns into its four
experiments, the study draws event-locked curves of perplexity and embedding drift — asks a
:class:`FeatureSchema` for the columns of a :class:`ColumnRole`, never for a name prefix.

Where roles come from, first match wins:

1. the schema a :class:`~emkit.FeatureExtractor` declares (:meth:`~emkit.FeatureExtractor.schema`),
   which ``emkit features`` stores with the feature set and stores return with the frame;
2. the **naming rule** (:meth:`FeatureSchema.infer`) for any column nobody declared:

   ============================================  =====================  ========
   column name                                   role                   block
   ============================================  =====================  ========
   ``lex_*``, ``sent_*``                         ``lexical``            —
   ``<block>_emb_<digits>``                      ``embedding``          block
   ``<block>_pca_<digits>``                      ``embedding_pca``      block
   ``<block>_perplexity``                        ``perplexity``         block
   ``<block>_perplexity_trend_<n>d``             ``perplexity_trend``   block
   ``<block>_emb_drift_<n>d``                    ``embedding_drift``    block
   ``<col>_base<n>d``                            ``baseline``           —
   ``text``                                      ``text``               —
   anything else                                 ``scalar``             —
   ============================================  =====================  ========

   ``<block>`` is a lower-case word (``llm``, ``hf``, ``myencoder2``): the columns
   ``hf_emb_000 … hf_emb_767`` are one embedding block named ``hf``.

A schema travels with a frame in ``frame.attrs`` (:meth:`FeatureSchema.attach`,
:meth:`FeatureSchema.of`); pandas keeps ``attrs`` through copies and selections but may drop it
in other operations, and the naming rule then fills in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from emkit.errors import EmkitError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCHEMA_ATTR",
    "ColumnRole",
    "FeatureColumn",
    "FeatureSchema",
    "embedding_columns",
    "pca_column",
]

#: Key of ``DataFrame.attrs`` under which a frame carries its schema (as JSON).
SCHEMA_ATTR = "emkit.feature_schema"

_BLOCK = r"(?P<block>[a-z][a-z0-9]*)"


class ColumnRole(StrEnum):
    """What a feature column is, as far as stores and evaluations must know."""

    #: One dimension of a dense embedding block: stored as float32, reduced by a per-fold PCA.
    EMBEDDING = "embedding"
    #: A principal component of an embedding block (``<block>_pca_NN``).
    EMBEDDING_PCA = "embedding_pca"
    #: A language model's perplexity of the day's messages.
    PERPLEXITY = "perplexity"
    #: The trend (slope) of a perplexity over recent days.
    PERPLEXITY_TREND = "perplexity_trend"
    #: Distance of today's embedding from the recent days' mean embedding.
    EMBEDDING_DRIFT = "embedding_drift"
    #: A lexical or sentiment rate (the ablation's first experiment).
    LEXICAL = "lexical"
    #: A feature's deviation from the patient's own trailing baseline (``<col>_base<n>d``,
    #: :func:`~emkit.baseline_deviations`): z-scored against days before *t* only.
    BASELINE = "baseline"
    #: The text of the day (a string column, :class:`~emkit.TextExtractor`): read by text
    #: forecasters (``tfidf``, ``trajectory``), never by numeric ones, never reduced or
    #: z-scored. The SQLite store does not keep text: it refuses a frame holding a text column.
    TEXT = "text"
    #: Any other numeric feature.
    SCALAR = "scalar"


_RULES: tuple[tuple[re.Pattern[str], ColumnRole], ...] = (
    (re.compile(r"^.+_base\d+d$"), ColumnRole.BASELINE),
    (re.compile(r"^text$"), ColumnRole.TEXT),
    (re.compile(r"^(?:lex|sent)_"), ColumnRole.LEXICAL),
    (re.compile(rf"^{_BLOCK}_emb_\d+$"), ColumnRole.EMBEDDING),
    (re.compile(rf"^{_BLOCK}_pca_\d+$"), ColumnRole.EMBEDDING_PCA),
    (re.compile(rf"^{_BLOCK}_perplexity$"), ColumnRole.PERPLEXITY),
    (re.compile(rf"^{_BLOCK}_perplexity_trend_\d+d$"), ColumnRole.PERPLEXITY_TREND),
    (re.compile(rf"^{_BLOCK}_emb_drift_\d+d$"), ColumnRole.EMBEDDING_DRIFT),
)


def pca_column(block: str, component: int) -> str:
    """Name of principal component ``component`` of embedding block ``block``: ``llm_pca_03``."""
    return f"{block}_pca_{component:02d}"


class FeatureColumn(BaseModel):
    """One column of a feature schema.

    Attributes:
        name: The column name.
        role: What the column is.
        block: The embedding block it belongs to (``"llm"``, ``"hf"``): required for
            ``embedding`` and ``embedding_pca`` columns, optional for the others.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    role: ColumnRole = ColumnRole.SCALAR
    block: str | None = None

    @model_validator(mode="after")
    def _block_of_embeddings(self) -> Self:
        if self.role in (ColumnRole.EMBEDDING, ColumnRole.EMBEDDING_PCA) and not self.block:
            raise ValueError(f"column {self.name!r}: a {self.role.value} column needs a block")
        return self

    @classmethod
    def infer(cls, name: str) -> FeatureColumn:
        """The column ``name`` with its role and block from the naming rule (module docs)."""
        for pattern, role in _RULES:
            match = pattern.match(name)
            if match:
                block = match.groupdict().get("block")
                return cls(name=name, role=role, block=block)
        return cls(name=name)


class FeatureSchema(BaseModel):
    """The columns of a feature frame, in order, each with its :class:`ColumnRole`.

    Attributes:
        columns: The declared columns (names unique).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[FeatureColumn, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for column in self.columns:
            if column.name in seen:
                raise ValueError(f"column {column.name!r} is declared twice")
            seen.add(column.name)
        return self

    # -- building -------------------------------------------------------------------------

    @classmethod
    def infer(cls, columns: Iterable[object]) -> FeatureSchema:
        """Roles of ``columns`` by the naming rule alone."""
        return cls(columns=tuple(FeatureColumn.infer(str(c)) for c in columns))

    @classmethod
    def merge(cls, *schemas: FeatureSchema) -> FeatureSchema:
        """One schema holding the columns of every schema, in order.

        Raises:
            EmkitError: when two schemas declare the same column with different roles.
        """
        merged: dict[str, FeatureColumn] = {}
        for schema in schemas:
            for column in schema.columns:
                known = merged.get(column.name)
                if known is not None and known != column:
                    raise EmkitError(
                        f"feature column {column.name!r} is declared twice: as {known.role.value}"
                        f" and as {column.role.value}"
                    )
                merged[column.name] = column
        return cls(columns=tuple(merged.values()))

    def select(self, columns: Iterable[object]) -> FeatureSchema:
        """The schema of exactly ``columns``, in that order.

        Declared roles where this schema has them, the naming rule for the others.
        """
        declared = {c.name: c for c in self.columns}
        return FeatureSchema(
            columns=tuple(declared.get(str(c)) or FeatureColumn.infer(str(c)) for c in columns)
        )

    # -- frames ---------------------------------------------------------------------------

    @classmethod
    def of(cls, frame: pd.DataFrame) -> FeatureSchema:
        """The schema of ``frame``'s columns: its attached roles, the naming rule for the rest."""
        attached = frame.attrs.get(SCHEMA_ATTR)
        base = cls.model_validate_json(attached) if isinstance(attached, str) else cls()
        return base.select(frame.columns)

    def attach(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Record this schema (restricted to ``frame``'s columns) in ``frame.attrs``.

        Returns:
            ``frame`` itself.
        """
        frame.attrs[SCHEMA_ATTR] = self.select(frame.columns).model_dump_json()
        return frame

    # -- questions ------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return [c.name for c in self.columns]

    def role(self, name: str) -> ColumnRole:
        """Role of column ``name`` (the naming rule when this schema does not declare it)."""
        for column in self.columns:
            if column.name == name:
                return column.role
        return FeatureColumn.infer(name).role

    def columns_with(self, *roles: ColumnRole) -> list[str]:
        """Names of the columns having any of ``roles``, in order."""
        return [c.name for c in self.columns if c.role in roles]

    def embedding_blocks(self) -> dict[str, list[str]]:
        """Embedding columns per block, blocks and columns in order: ``{"llm": [...], ...}``."""
        blocks: dict[str, list[str]] = {}
        for column in self.columns:
            if column.role is ColumnRole.EMBEDDING and column.block:
                blocks.setdefault(column.block, []).append(column.name)
        return blocks


def embedding_columns(columns: Sequence[object] | pd.DataFrame, block: str = "llm") -> list[str]:
    """The embedding columns of block ``block`` among ``columns`` (or a frame's columns).

    A frame's attached schema is used when it has one; plain names follow the naming rule.
    """
    import pandas as pd

    schema = (
        FeatureSchema.of(columns)
        if isinstance(columns, pd.DataFrame)
        else FeatureSchema.infer(columns)
    )
    return schema.embedding_blocks().get(block, [])
