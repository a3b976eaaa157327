"""The metrics of benchmarks/insight_retrieval.py (the benchmark itself is not run here)."""

from __future__ import annotations

import math

import pytest
from benchmarks.insight_retrieval import (
    abstention_share,
    document_ranking,
    ndcg_at,
    recall_at,
    reciprocal_rank,
)


def test_a_document_counts_once_at_its_best_chunk() -> None:
    assert document_ranking(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("ranking", "relevant", "recall_1", "recall_10", "ndcg_10", "rr"),
    [
        (["p"], {"p"}, 1.0, 1.0, 1.0, 1.0),
        (["x", "y", "p"], {"p"}, 0.0, 1.0, 1 / math.log2(4), 1 / 3),
        ([f"x{i}" for i in range(10)] + ["p"], {"p"}, 0.0, 0.0, 0.0, 1 / 11),
        ([], {"p"}, 0.0, 0.0, 0.0, 0.0),
        (["p", "x", "q"], {"p", "q"}, 0.5, 1.0, (1 + 0.5) / (1 + 1 / math.log2(3)), 1.0),
    ],
)
def test_ranking_metrics(
    ranking: list[str],
    relevant: set[str],
    recall_1: float,
    recall_10: float,
    ndcg_10: float,
    rr: float,
) -> None:
    assert recall_at(ranking, relevant, 1) == pytest.approx(recall_1)
    assert recall_at(ranking, relevant, 10) == pytest.approx(recall_10)
    assert ndcg_at(ranking, relevant, 10) == pytest.approx(ndcg_10)
    assert reciprocal_rank(ranking, relevant) == pytest.approx(rr)


def test_abstention_is_below_the_threshold_or_nothing_found() -> None:
    assert abstention_share([0.1, 0.3, None, 0.5], 0.3) == 0.5
    assert abstention_share([], 0.3) == 0.0
