"""Benchmarks of the public survey against bare baselines measured in the same run.

* page: rendering a 40-item section page through the real view and templates, against a
  bare Jinja loop producing the same item markup (target: at most 1.5x);
* submit: storing a 40-answer response through the survey service (draft, submission
  key, round check, one transaction), against a bare SQLAlchemy insert of the same rows
  (target: at least 0.8x the throughput).

    .venv/bin/python bench/bench_survey.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402

N_ITEMS = 40
PAGE_TARGET = 1.5
SUBMIT_TARGET = 0.8

BARE_TEMPLATE = """{% for item in items %}
<fieldset class="item likert" id="{{ item.name }}">
  <legend>{{ item.text }}</legend>
  <div class="choices">
    {% for label in labels %}{% set v = loop.index|string %}
    <div class="choice"><input type="radio" id="{{ item.name }}-{{ v }}" name="{{ item.name }}" value="{{ v }}"><label for="{{ item.name }}-{{ v }}"><span class="point">{{ v }}</span> {{ label }}</label></div>
    {% endfor %}
    <div class="choice dont-know"><input type="radio" id="{{ item.name }}-dk" name="{{ item.name }}" value="dk"><label for="{{ item.name }}-dk">{{ dont_know }}</label></div>
  </div>
</fieldset>
{% endfor %}"""


def _instrument_yaml() -> str:
    items = "\n".join(
        f"""      - id: item_{index}
        type: scale
        scale: agree5
        text: {{da: "Udsagn nummer {index} om samarbejdet", en: "Statement {index}"}}
        measures: {{factor: trust}}"""
        for index in range(N_ITEMS)
    )
    return f"""kind: instrument
id: bench
version: 1
languages: [da, en]
title: {{da: Benchmark, en: Benchmark}}
description: {{da: Benchmark, en: Benchmark}}
intro: {{da: Benchmark, en: Benchmark}}
minutes: 7
scales:
  agree5:
    points: 5
    labels:
      da: [Helt uenig, Uenig, Hverken enig eller uenig, Enig, Helt enig]
      en: [Strongly disagree, Disagree, Neither, Agree, Strongly agree]
    dont_know: {{da: Ved ikke, en: Don't know}}
factors:
  - id: trust
    role: collaboration
    name: {{da: Tillid, en: Trust}}
sections:
  - id: all
    title: {{da: Alle udsagn, en: All statements}}
    items:
{items}
"""


def _timed(function, repeat: int) -> float:  # noqa: ANN001
    """Best wall-clock seconds of `repeat` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _setup(workdir: Path):  # noqa: ANN202
    folder = workdir / "instruments"
    folder.mkdir()
    shutil.copy(ROOT / "instruments" / "framework.yaml", folder / "framework.yaml")
    (folder / "bench.yaml").write_text(_instrument_yaml(), encoding="utf-8")
    return bench_app(workdir, INSTRUMENTS_DIR=str(folder), SUBMIT_LIMIT_PER_IP="1000000 per minute")


def _open_bench_round(app, name: str) -> tuple[str, int]:  # noqa: ANN001
    from survey_app.extensions import db
    from survey_app.models import Initiative
    from survey_app.services import rounds

    with app.app_context():
        initiative = Initiative(name=name)
        db.session.add(initiative)
        round_ = rounds.create_round(initiative, name, ["bench"])
        rounds.open_round(round_)
        db.session.commit()
        return round_.link_token, round_.id


def _interleaved(real, bare, batches: int, per_batch: int) -> tuple[float, float]:  # noqa: ANN001
    """Median per-call seconds of two functions, run in alternating batches.

    Alternating batches makes both see the same machine load (other processes, disk).
    One untimed batch of each goes first, so first-use costs (compiling statements,
    parsing definitions, warming the page cache) count for neither.
    """
    for _ in range(per_batch):
        real()
        bare()
    real_times, bare_times = [], []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            real()
        real_times.append((time.perf_counter() - start) / per_batch)
        start = time.perf_counter()
        for _ in range(per_batch):
            bare()
        bare_times.append((time.perf_counter() - start) / per_batch)
    return statistics.median(real_times), statistics.median(bare_times)


def bench_page(app, batches: int = 15, per_batch: int = 40) -> list[dict]:  # noqa: ANN001
    """Render the 40-item page with the real templates, and the same HTML with a bare loop.

    The bare template writes the page's fixed parts (layout, header, navigation) as
    literal text and loops over the items, so both produce the same HTML; the view's
    whole request (session, database, template) is reported as well.
    """
    from flask import session
    from jinja2 import Environment

    from survey_app.extensions import db
    from survey_app.models import Round
    from survey_app.services import survey as service
    from survey_app.survey import views

    token, round_id = _open_bench_round(app, "Bench page")
    client = app.test_client()
    intro = client.get(f"/s/{token}").get_data(True)
    csrf = intro.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(f"/s/{token}/start", data={"csrf_token": csrf})
    url = f"/r/{round_id}/page/1"
    client.get(url)

    labels = ["Helt uenig", "Uenig", "Hverken enig eller uenig", "Enig", "Helt enig"]
    items = [
        {"name": f"q_item_{i}", "text": f"Udsagn nummer {i} om samarbejdet"} for i in range(N_ITEMS)
    ]
    with app.test_request_context(url):
        session["csrf_token"] = "0" * 40
        round_ = db.session.get(Round, round_id)
        plan = service.survey_plan(round_)
        page = plan.page(1)

        def real() -> str:
            return views._render_page(round_, plan, page, {}, {})

        page_html = real()
        first = page_html.index("<fieldset")
        last = page_html.rindex("</fieldset>") + len("</fieldset>")
        bare_source = "{{ prefix }}" + BARE_TEMPLATE + "{{ suffix }}"
        bare_template = Environment(autoescape=True).from_string(bare_source)
        prefix, suffix = page_html[:first], page_html[last:]
        bare = bare_template_call(bare_template, prefix, suffix, items, labels)

        squeeze = lambda html: " ".join(html.split())  # noqa: E731
        assert squeeze(bare()) == squeeze(page_html), "the baseline must produce the same HTML"
        render, baseline = _interleaved(real, bare, batches, per_batch)
        db.session.remove()
    view, baseline_again = _interleaved(lambda: client.get(url), bare, batches, per_batch // 2)
    return [
        {
            "benchmark": "survey page render, 40 items",
            "measured_ms": render * 1000,
            "baseline_ms": baseline * 1000,
            "baseline": "bare Jinja loop, same HTML",
            "ratio": render / baseline,
            "target": f"<= {PAGE_TARGET}x",
            "ok": render / baseline <= PAGE_TARGET,
        },
        {
            "benchmark": "survey page whole GET request (session, DB, render)",
            "measured_ms": view * 1000,
            "baseline_ms": baseline_again * 1000,
            "baseline": "bare Jinja loop, same HTML",
            "ratio": view / baseline_again,
            "target": "(information)",
            "ok": True,
        },
    ]


def bare_template_call(template, prefix, suffix, items, labels):  # noqa: ANN001,ANN201
    """A no-argument call rendering the bare page (prefix and suffix are our own HTML)."""
    from markupsafe import Markup

    return lambda: template.render(
        prefix=Markup(prefix),
        suffix=Markup(suffix),
        items=items,
        labels=labels,
        dont_know="Ved ikke",
    )


def bench_submit(app, batches: int = 30, per_batch: int = 20) -> dict:  # noqa: ANN001
    """Submissions per second through the service vs bare inserts of the same rows."""
    import json

    from sqlalchemy import insert

    from survey_app.extensions import db
    from survey_app.models import Answer, Response, Round, new_random_id
    from survey_app.services import survey as service

    answers = {f"item_{i}": str(1 + i % 5) for i in range(N_ITEMS)}
    _token, round_id = _open_bench_round(app, "Bench submit")
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        drafts = []
        for _ in range((batches + 1) * per_batch):  # one warm-up batch
            draft = service.start_draft(round_)
            state = service.draft_state(draft)
            state["answers"] = {"bench": answers}
            draft.answers_json = json.dumps(state)
            drafts.append((draft.id, state["key"]))
        db.session.commit()
        pending = iter(drafts)

        def real() -> None:
            draft_id, key = next(pending)
            assert service.submit(round_id, draft_id, key) is service.SubmitOutcome.STORED

        def bare() -> None:
            # The leanest SQLAlchemy: table inserts on the session's connection, one commit.
            response_id = new_random_id()  # the same kind of key as a real response
            connection = db.session.connection()
            connection.execute(insert(Response.__table__).values(id=response_id, round_id=round_id))
            connection.execute(
                insert(Answer.__table__),
                [
                    {
                        "response_id": response_id,
                        "instrument_id": "bench",
                        "item_id": item,
                        "value": float(value),
                        "dont_know": False,
                    }
                    for item, value in answers.items()
                ],
            )
            db.session.commit()

        real_seconds, bare_seconds = _interleaved(real, bare, batches, per_batch)
    ratio = bare_seconds / real_seconds  # throughput ratio: (1/real) / (1/bare)
    return {
        "benchmark": "submission, 40 answers (SQLite file)",
        "measured_ms": real_seconds * 1000,
        "baseline_ms": bare_seconds * 1000,
        "baseline": "bare SQLAlchemy insert, same rows",
        "ratio": ratio,
        "target": f">= {SUBMIT_TARGET}x throughput",
        "ok": ratio >= SUBMIT_TARGET,
    }


def run() -> list[dict]:
    """Run both survey benchmarks in a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        app = _setup(Path(scratch))
        rows = [*bench_page(app), bench_submit(app)]
        from survey_app.extensions import db

        with app.app_context():
            db.engine.dispose()
        return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['benchmark']}: {row['measured_ms']:.2f} ms vs {row['baseline_ms']:.2f} ms "
            f"({row['baseline']}) -> {row['ratio']:.2f}x, target {row['target']}"
        )
