"""Benchmark of the round dashboard for an initiative with 10 rounds x 200 responses.

The first view scores the round (cached afterwards, invalidated when a response
arrives); the target is the server time of later views: <= 150 ms. The baseline is a
bare Jinja loop printing the same number of table rows.

    .venv/bin/python bench/bench_dashboard.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402

ROUNDS = 10
RESPONSES = 200
TARGET_MS = 150.0


def _setup(workdir: Path):  # noqa: ANN202
    return bench_app(workdir, WTF_CSRF_ENABLED=False)


def _populate(app) -> list[int]:  # noqa: ANN001
    from survey_app.extensions import db
    from survey_app.models import Role
    from survey_app.services import accounts, initiatives, rounds
    from tests.workspace_helpers import add_responses

    with app.app_context():
        owner = accounts.create_user(
            "bench@example.org", "bench password 123", role=Role.FACILITATOR
        )
        initiative = initiatives.create_initiative(owner, "Bench")
        round_ids = []
        for index in range(ROUNDS):
            round_ = rounds.create_round(initiative, f"Runde {index + 1}")
            rounds.open_round(round_)
            add_responses(
                round_,
                RESPONSES,
                seed=index,
                level=2.8 + 0.15 * index,
                sectors=["public", "private", "civil_society", "citizen"],
            )
            rounds.close_round(round_)
            round_ids.append(round_.id)
        db.session.commit()
        return round_ids


def run(views: int = 15) -> list[dict]:
    """Time the first and the later views of the latest round's dashboard."""
    with tempfile.TemporaryDirectory() as scratch:
        app = _setup(Path(scratch))
        round_ids = _populate(app)
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.org", "password": "bench password 123"})
        url = f"/rounds/{round_ids[-1]}/results"
        start = time.perf_counter()
        first = client.get(url)
        first_ms = (time.perf_counter() - start) * 1000
        assert first.status_code == 200
        times = []
        for _ in range(views):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - start) * 1000)
        later_ms = statistics.median(times)
        rows = first.get_data(True).count("<tr")

        from jinja2 import Environment

        bare = Environment(autoescape=True).from_string(
            "<table>{% for i in rows %}<tr><th>Emne {{ i }}</th><td>3,50</td><td>3,20–3,80</td>"
            "<td>200</td><td>drøft</td><td>enige</td></tr>{% endfor %}</table>"
        )
        base_times = []
        for _ in range(views):
            start = time.perf_counter()
            bare.render(rows=range(rows))
            base_times.append((time.perf_counter() - start) * 1000)
        baseline_ms = statistics.median(base_times)
        from survey_app.extensions import db

        with app.app_context():
            db.engine.dispose()
    return [
        {
            "benchmark": f"dashboard, {ROUNDS} rounds x {RESPONSES} responses (first view)",
            "measured_ms": first_ms,
            "baseline_ms": baseline_ms,
            "baseline": f"bare Jinja loop, {rows} table rows",
            "ratio": first_ms / baseline_ms,
            "target": "(information: scoring)",
            "ok": True,
        },
        {
            "benchmark": f"dashboard, {ROUNDS} rounds x {RESPONSES} responses (later views)",
            "measured_ms": later_ms,
            "baseline_ms": baseline_ms,
            "baseline": f"bare Jinja loop, {rows} table rows",
            "ratio": later_ms / baseline_ms,
            "target": f"<= {TARGET_MS:.0f} ms",
            "ok": later_ms <= TARGET_MS,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['benchmark']}: {row['measured_ms']:.1f} ms "
            f"(baseline {row['baseline_ms']:.1f} ms, {row['baseline']}), target {row['target']}"
        )
