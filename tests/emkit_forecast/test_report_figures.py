"""Report figures on results that a small or unlucky fold produces."""

from __future__ import annotations

import math

from emkit.evaluation.report import importance_figure


def test_importance_figure_shows_undefined_scores_instead_of_failing():
    # Permutation importance is NaN (JSON null) when the fold's labels hold one class only.
    methods = {
        "model": {"lex_messages": 0.8, "llm_pca_01": 0.2},
        "permutation": {"lex_messages": None, "llm_pca_01": None},
        "shap": {"lex_messages": math.nan, "llm_pca_01": 0.1},
    }
    tag = importance_figure("logistic", methods)  # type: ignore[arg-type]
    assert tag.startswith("<")
    assert "feature importance of logistic" in tag
