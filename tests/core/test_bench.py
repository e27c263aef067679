"""The scoring benchmark runs end to end on a small size (the real sizes: bench/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from survey_app.core.scoring import Level, score_round

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_scoring.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scoring", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_round_scores() -> None:
    bench = _bench()
    answers, respondents = bench.synthetic_round(400)
    assert set(answers["item_id"]) == {i.id for i in bench.build_instrument().items()}
    result = score_round(bench.build_framework(), [bench.build_instrument()], answers, respondents)
    assert len(result.elements_at(Level.CELL)) == 16
    assert result.n_responses == 400


def test_run_reports_ratios() -> None:
    (row,) = _bench().run(sizes=(300,), repeat=1)
    assert row["responses"] == 300 and row["items"] == 70
    assert row["score_round_s"] > 0 and row["time_ratio"] > 0 and row["memory_ratio"] > 0
