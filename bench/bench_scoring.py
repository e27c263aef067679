"""Benchmark of `score_round` on synthetic rounds, with a bare pandas baseline.

    .venv/bin/python bench/bench_scoring.py            # 10 000 and 100 000 responses
    .venv/bin/python bench/bench_scoring.py 5000       # other sizes

Each size is a round of N responses × 70 scale items (48 items on the 16 cells, 22 on
factors of every role), about 3% skipped and 2% "don't know", with sector and role.
Every measurement runs in a fresh subprocess so peaks do not mix:

* time: wall clock of `score_round` (best of `repeat`), and of the baseline, a plain
  `answers.groupby(["instrument_id", "item_id"])["value"].mean()` on the same frame;
* memory: tracemalloc peak during the call (NumPy and pandas buffers are traced) and
  the process's maximum resident set size (includes the input frame and the interpreter).

Target: 100 000 × 70 in <= 3 s and <= 2 GiB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # allow `python bench/bench_scoring.py` from anywhere
    sys.path.insert(0, str(ROOT))

from survey_app.core.instruments import (  # noqa: E402
    BackgroundQuestion,
    Cell,
    Component,
    Factor,
    FactorRole,
    Framework,
    Instrument,
    Item,
    ItemKind,
    Measure,
    Option,
    Phase,
    Scale,
    Section,
    Text,
    Thresholds,
)
from survey_app.core.scoring import score_round  # noqa: E402

N_ITEMS = 70
TARGET_SECONDS = 3.0
TARGET_BYTES = 2 * 1024**3
COMPONENTS = ("governance", "strategy", "community", "evaluation")
PHASES = ("readiness", "initiate", "organise", "sustain")
FACTORS = (
    [(f"pre_{n}", FactorRole.PRECONDITION, 2) for n in range(4)]
    + [(f"cons_{n}", FactorRole.CONSENSUS, 2) for n in range(2)]
    + [(f"eng_{n}", FactorRole.ENGAGEMENT, 2) for n in range(2)]
    + [("collab", FactorRole.COLLABORATION, 3), ("money", FactorRole.RESOURCE, 3)]
)
SECTORS = ("public", "private", "civil_society", "citizen", "other")
ROLES = ("steering_group", "working_group", "partner", "backbone")


def _text(value: str) -> Text:
    return Text({"da": value, "en": value})


def build_framework() -> Framework:
    """A framework shaped like instruments/framework.yaml."""
    return Framework(
        id="bench",
        version=1,
        languages=("da", "en"),
        components=tuple(Component(c, _text(c), _text(c)) for c in COMPONENTS),
        phases=tuple(Phase(p, n, _text(p), _text(p), ()) for n, p in enumerate(PHASES, start=1)),
        cells=tuple(Cell(c, p, _text(f"{c} {p}")) for c in COMPONENTS for p in PHASES),
        thresholds=Thresholds(4.0, 3.0, 3.5, 0.70, 0.1667, 5, 5, 0.6),
        background=(
            BackgroundQuestion(
                "sector", _text("sector"), tuple(Option(s, _text(s)) for s in SECTORS)
            ),
            BackgroundQuestion("role", _text("role"), tuple(Option(r, _text(r)) for r in ROLES)),
        ),
    )


def build_instrument() -> Instrument:
    """One instrument with 70 scale items: 3 per cell and 22 on factors."""
    items = [
        Item(
            f"{c}_{p}_{n}",
            ItemKind.SCALE,
            _text("x"),
            scale="agree5",
            measures=Measure(component=c, phase=p),
            reverse=(n == 3),
        )
        for c in COMPONENTS
        for p in PHASES
        for n in (1, 2, 3)
    ]
    items += [
        Item(f"{f}_{n}", ItemKind.SCALE, _text("x"), scale="agree5", measures=Measure(factor=f))
        for f, _, count in FACTORS
        for n in range(1, count + 1)
    ]
    assert len(items) == N_ITEMS
    labels = {"da": tuple("12345"), "en": tuple("12345")}
    return Instrument(
        id="readiness",
        version=1,
        languages=("da", "en"),
        title=_text("t"),
        description=_text("d"),
        intro=_text("i"),
        minutes=10,
        scales={"agree5": Scale("agree5", 5, labels, _text("?"))},
        factors=tuple(Factor(f, role, _text(f)) for f, role, _ in FACTORS),
        sections=(Section("s", _text("s"), tuple(items)),),
    )


def synthetic_round(n_responses: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers (long) and respondents frames, generated without Python loops over rows."""
    rng = np.random.default_rng(seed)
    response_ids = pd.Index(np.arange(n_responses)).astype(str).str.zfill(8)
    response_ids = ("resp-" + response_ids).to_numpy(dtype=object)
    item_ids = np.array([item.id for item in build_instrument().items()], dtype=object)
    latent = rng.normal(3.4, 0.8, size=(n_responses, 1))
    values = np.clip(np.rint(latent + rng.normal(0, 0.9, size=(n_responses, N_ITEMS))), 1, 5)
    draw = rng.random((n_responses, N_ITEMS))
    keep = (draw >= 0.03).ravel()  # 3% skipped
    dont_know = (draw < 0.05).ravel()[keep]  # 2% "don't know"
    value = np.where(dont_know, np.nan, values.ravel()[keep])
    answers = pd.DataFrame(
        {
            "response_id": np.repeat(response_ids, N_ITEMS)[keep],
            "instrument_id": np.full(keep.sum(), "readiness", dtype=object),
            "item_id": np.tile(item_ids, n_responses)[keep],
            "value": value,
            "dont_know": dont_know,
            "text": np.full(keep.sum(), None, dtype=object),
        }
    )
    respondents = pd.DataFrame(
        {
            "response_id": response_ids,
            "sector": np.array(SECTORS + (None,), dtype=object)[rng.integers(0, 6, n_responses)],
            "role": np.array(ROLES, dtype=object)[rng.integers(0, 4, n_responses)],
        }
    )
    return answers, respondents


def _baseline(answers: pd.DataFrame) -> object:
    return answers.groupby(["instrument_id", "item_id"])["value"].mean()


def _measure_child(n_responses: int, which: str, repeat: int) -> dict[str, float]:
    """Runs inside the subprocess: time and tracemalloc peak of one call."""
    framework, instrument = build_framework(), build_instrument()
    answers, respondents = synthetic_round(n_responses)
    if which == "score_round":

        def call() -> object:
            return score_round(framework, [instrument], answers, respondents)
    else:

        def call() -> object:
            return _baseline(answers)

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "seconds": best,
        "peak_bytes": float(peak),
        "maxrss_bytes": maxrss_kib * 1024.0,
        "rows": float(len(answers)),
    }


def _measure(n_responses: int, which: str, repeat: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(n_responses), which, str(repeat)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


def run(sizes: tuple[int, ...] = (10_000, 100_000), repeat: int = 3) -> list[dict]:
    """Benchmark every size; one dict of figures per size (seconds, MiB, ratios to baseline)."""
    mib = 1024.0**2
    results = []
    for size in sizes:
        scored = _measure(size, "score_round", repeat)
        base = _measure(size, "baseline", repeat)
        results.append(
            {
                "responses": size,
                "items": N_ITEMS,
                "answer_rows": int(scored["rows"]),
                "score_round_s": round(scored["seconds"], 3),
                "baseline_s": round(base["seconds"], 3),
                "time_ratio": round(scored["seconds"] / base["seconds"], 2),
                "score_round_peak_mib": round(scored["peak_bytes"] / mib, 1),
                "baseline_peak_mib": round(base["peak_bytes"] / mib, 1),
                "memory_ratio": round(scored["peak_bytes"] / base["peak_bytes"], 2),
                "score_round_maxrss_mib": round(scored["maxrss_bytes"] / mib, 1),
                "baseline_maxrss_mib": round(base["maxrss_bytes"] / mib, 1),
                "within_target": scored["seconds"] <= TARGET_SECONDS
                and scored["maxrss_bytes"] <= TARGET_BYTES,
            }
        )
    return results


def _table(results: list[dict]) -> str:
    header = list(results[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in results]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        figures = _measure_child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        print(json.dumps(figures))
    else:
        chosen = tuple(int(arg) for arg in sys.argv[1:]) or (10_000, 100_000)
        print(_table(run(chosen)))
