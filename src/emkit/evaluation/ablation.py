"""The seed's four experiments, scored on the same splits with the same forecaster.

1. lexical + sentiment (``lex_*``, ``sent_*``);
2. + MiniLLM embeddings, reduced by a PCA fitted on each fold's training rows;
3. + perplexity and its trend;
4. full: every feature (attention entropy, coherence, embedding drift, …).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from emkit.evaluation.experiment import (
    PCA_PREFIX,
    ForecasterFactory,
    embedding_columns,
    evaluate,
)
from emkit.evaluation.splits import Split

LEXICAL_PREFIXES = ("lex_", "sent_")
PERPLEXITY_COLUMNS = ("llm_perplexity", "llm_perplexity_trend_7d")


def _lexical(c: str) -> bool:
    return c.startswith(LEXICAL_PREFIXES)


def _embeddings(c: str) -> bool:
    return c.startswith(PCA_PREFIX) or c in set(embedding_columns([c]))


def _perplexity(c: str) -> bool:
    return c in PERPLEXITY_COLUMNS


#: Experiment name → predicate over feature column names (cumulative, as in the seed).
EXPERIMENTS: dict[str, Callable[[str], bool]] = {
    "1 lexical + sentiment": _lexical,
    "2 + MiniLLM embeddings (PCA)": lambda c: _lexical(c) or _embeddings(c),
    "3 + perplexity and trend": lambda c: _lexical(c) or _embeddings(c) or _perplexity(c),
    "4 full": lambda c: True,
}


def experiment_columns(columns: Sequence[str]) -> dict[str, list[str]]:
    """The feature columns of each experiment that ``columns`` can supply (empty ones dropped)."""
    out = {}
    for name, keep in EXPERIMENTS.items():
        chosen = [c for c in columns if keep(c)]
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
) -> pd.DataFrame:
    """One row per experiment: feature count, AUROC with interval and AUPRC per horizon.

    Raw embedding columns count as one group (they become ``llm_pca_*`` inside each fold).
    """
    rows = []
    for name, columns in experiment_columns([str(c) for c in features.columns]).items():
        result = evaluate(
            features[columns],
            labels,
            {name: factory},
            splits,
            horizons,
            n_boot=n_boot,
            seed=seed,
            progress=progress,
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
