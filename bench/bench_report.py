"""Benchmark of the steering-group report as a PDF.

A round of 200 responses to the four shipped instruments (divided questions, sectors,
comments from one partner in seven, invitation codes), compared with three earlier
rounds of the same size. Measured: the whole report, from the round to the PDF bytes
(gathering from the cached analyses, cached charts, template, xhtml2pdf behind the
resource gate), as in every view after the first; the converted PDF itself is cached
by its HTML, so that cache is emptied before each measured call. Times are the best of nine calls, alternating with the baseline (the medians are in the
note), since other processes on the machine only ever add time. Target: <= 1.0 s. Baseline:
bare `xhtml2pdf.pisa.CreatePDF` on the already rendered HTML of the same report (with
the same link_callback, so it embeds the same charts and fonts).

    .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402

RESPONSES = 200
EARLIER_ROUNDS = 3
TARGET_MS = 1000.0
COMMENTS = (
    "Vi mangler tid i fællessekretariatet til at følge op på aftalerne.",
    "Godt samarbejde, men borgerne er ikke med endnu.",
    "Data deles for sjældent mellem forvaltningerne.",
    "Styregruppen træffer beslutninger, men de bliver ikke fulgt op.",
    "Mere åbenhed om økonomien, tak.",
)


def _setup(workdir: Path):  # noqa: ANN202
    return bench_app(workdir)


def _populate(app) -> list[int]:  # noqa: ANN001
    from tests.report_helpers import Group, make_report_space

    def groups(level: float) -> list[Group]:
        return [
            Group(RESPONSES // 2, "public", level),
            Group(RESPONSES // 4, "private", level + 0.2),
            Group(RESPONSES // 4 - 6, "civil_society", level - 0.1),
            Group(6, "citizen", level),
        ]

    space = make_report_space(
        app,
        [groups(3.0 + 0.25 * index) for index in range(EARLIER_ROUNDS + 1)],
        comments=COMMENTS,
        comment_every=7,
        codes=(170, 260),
        owner_email="bench@example.org",
    )
    return list(space.round_ids)


def _interleaved(real, bare, batches: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Seconds of each call of two functions called alternately (same load for both)."""
    real_times, bare_times = [], []
    for _ in range(batches):
        start = time.perf_counter()
        real()
        real_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare()
        bare_times.append(time.perf_counter() - start)
    return real_times, bare_times


def _spread(real: list[float], bare: list[float]) -> str:
    return (
        f"medians {statistics.median(real) * 1000:.0f} ms vs "
        f"{statistics.median(bare) * 1000:.0f} ms"
    )


def _row(name: str, real: float, bare: float, target: str, ok: bool, note: str = "") -> dict:
    return {
        "benchmark": name,
        "measured_ms": real * 1000,
        "baseline_ms": bare * 1000,
        "baseline": "bare xhtml2pdf.pisa.CreatePDF, same HTML",
        "ratio": real / bare,
        "target": target,
        "ok": ok,
        "note": note,
    }


def bench_pdf(app, round_ids: list[int], batches: int = 9) -> list[dict]:  # noqa: ANN001
    """Cold and warm report PDFs against bare xhtml2pdf on the same HTML."""
    from flask_babel import force_locale
    from pypdf import PdfReader
    from xhtml2pdf import pisa

    from survey_app.extensions import db
    from survey_app.models import Round
    from survey_app.reports import charts, render
    from survey_app.reports.model import build_report
    from survey_app.reports.pdf import ResourceGate
    from survey_app.services import results

    options = render.RenderOptions(mode="pdf", static_folder=str(app.static_folder))
    *earlier, latest = round_ids
    with app.app_context():
        round_ = db.session.get(Round, latest)

        def report_pdf() -> bytes:
            report = build_report(round_, earlier, "da")
            return render.produce(app, report, options)  # type: ignore[return-value]

        def converted_pdf() -> bytes:
            render.clear_cache()  # analyses and charts stay cached; the PDF is converted
            return report_pdf()

        results.clear_cache()
        charts.clear_cache()
        render.clear_cache()
        start = time.perf_counter()
        pdf = report_pdf()
        cold = time.perf_counter() - start
        report = build_report(round_, earlier, "da")
        with force_locale("da"):
            drawn = render.render_charts(report, pdf=True)
            html = render.render_html(app, report, options, drawn)
        gate = ResourceGate(options.static_folder, options.static_url, drawn.png)

        def bare() -> None:
            status = pisa.CreatePDF(html, dest=io.BytesIO(), link_callback=gate)
            assert not status.err

        warm_times, bare_times = _interleaved(converted_pdf, bare, batches)
        repeated_times, bare_again = _interleaved(report_pdf, bare, batches)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    warm, baseline = min(warm_times), min(bare_times)
    note = f"{len(pdf) / 1024:.0f} KiB, {pages} pages; best of {batches}, {_spread(warm_times, bare_times)}"
    name = f"report PDF, {RESPONSES} responses x 4 instruments, {EARLIER_ROUNDS} earlier rounds"
    return [
        _row(name, warm, baseline, f"<= {TARGET_MS:.0f} ms", warm * 1000 <= TARGET_MS, note),
        _row(
            "report PDF downloaded again (same HTML: the converted PDF is reused)",
            min(repeated_times),
            min(bare_again),
            "(information)",
            True,
            f"best of {batches}",
        ),
        _row(
            "report PDF, first view (scores 4 rounds, draws the charts)",
            cold,
            baseline,
            "(information)",
            True,
        ),
    ]


def run() -> list[dict]:
    """Build the initiative in a scratch folder and time the report."""
    with tempfile.TemporaryDirectory() as scratch:
        app = _setup(Path(scratch))
        round_ids = _populate(app)
        rows = bench_pdf(app, round_ids)
        from survey_app.extensions import db

        with app.app_context():
            db.engine.dispose()
        return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['benchmark']}: {row['measured_ms']:.0f} ms vs {row['baseline_ms']:.0f} ms "
            f"({row['baseline']}) -> {row['ratio']:.2f}x, target {row['target']}, "
            f"ok {row['ok']} {row['note']}"
        )
