"""The seed's four experiments, scored on the same splits with the same forecaster.

1. lexical + sentiment (columns with the ``lexical`` role: ``lex_*``, ``sent_*``);
2. + language-model embeddings (``embedding`` role, any block), reduced by a PCA fitted on
   each fold's training rows;
3. + perplexity and its trend (``perplexity``, ``perplexity_trend``);
4. full: every feature (attention entropy, coherence, embedding drift, …).

Roles come from the frame's :class:`~emkit.FeatureSchema` (see :meth:`~emkit.FeatureSchema.of`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from emkit.evaluation.experiment import ForecasterFactory, evaluate
from emkit.evaluation.splits import Split
from emkit.features.schema import ColumnRole, FeatureSchema

#: Roles of each experiment's columns, cumulative as in the seed (the last one takes every
#: column, whatever its role).
EXPERIMENT_ROLES: dict[str, frozenset[ColumnRole]] = {
    "1 lexical + sentiment": frozenset({ColumnRole.LEXICAL}),
    "2 + MiniLLM embeddings (PCA)": frozenset(
        {ColumnRole.LEXICAL, ColumnRole.EMBEDDING, ColumnRole.EMBEDDING_PCA}
    ),
    "3 + perplexity and trend": frozenset(
        {
            ColumnRole.LEXICAL,
            ColumnRole.EMBEDDING,
            ColumnRole.EMBEDDING_PCA,
            ColumnRole.PERPLEXITY,
            ColumnRole.PERPLEXITY_TREND,
        }
    ),
    "4 full": frozenset(ColumnRole),
}


def _by_roles(roles: frozenset[ColumnRole]) -> Callable[[str], bool]:
    return lambda column: FeatureSchema().role(column) in roles


#: Experiment name → predicate over a feature column name, by the naming rule of
#: :class:`~emkit.FeatureSchema` (:func:`experiment_columns` uses a frame's declared roles).
EXPERIMENTS: dict[str, Callable[[str], bool]] = {
    name: _by_roles(roles) for name, roles in EXPERIMENT_ROLES.items()
}


def experiment_columns(
    columns: Sequence[str], schema: FeatureSchema | None = None
) -> dict[str, list[str]]:
    """The feature columns of each experiment that ``columns`` can supply (empty ones dropped).

    Columns are grouped by role: ``schema`` where it declares them, else the naming rule.
    """
    roles = (schema or FeatureSchema()).select(columns)
    out = {}
    for name, wanted in EXPERIMENT_ROLES.items():
        chosen = [c.name for c in roles.columns if c.role in wanted]
        if chosen:
            out[name] = chosen
    return out


def run_ablation(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    factory: ForecasterFactory,
    splits: Sequence[Split],
    horizons: Sequence[int],
    *,
    n_boot: int = 200,
    seed: int = 0,
    progress: bool = False,
    schema: FeatureSchema | None = None,
    pca_components: int | float = 8,
) -> pd.DataFrame:
    """One row per experiment: feature count, AUROC with interval and AUPRC per horizon.

    Raw embedding columns count as one group per block (they become ``<block>_pca_*`` inside
    each fold, with ``pca_components`` as in :func:`~emkit.evaluation.evaluate`). ``schema``
    gives the roles (default: :meth:`FeatureSchema.of(features) <emkit.FeatureSchema.of>`).
    """
    schema = (schema or FeatureSchema.of(features)).select(features.columns)
    rows = []
    for name, columns in experiment_columns([str(c) for c in features.columns], schema).items():
        result = evaluate(
            schema.select(columns).attach(features[columns]),
            labels,
            {name: factory},
            splits,
            horizons,
            n_boot=n_boot,
            seed=seed,
            progress=progress,
            pca_components=pca_components,
        )
        row: dict[str, object] = {"experiment": name, "features": len(columns)}
        for h in horizons:
            score = result.scores[int(h)][name]
            row[f"auroc_{h}d"] = score["auroc"].estimate
            row[f"auroc_{h}d_low"] = score["auroc"].low
            row[f"auroc_{h}d_high"] = score["auroc"].high
            row[f"auprc_{h}d"] = score["auprc"].estimate
            row[f"prevalence_{h}d"] = score["prevalence"]
        rows.append(row)
    return pd.DataFrame(rows)
