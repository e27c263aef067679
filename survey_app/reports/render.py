"""Render a gathered report: charts, the one template, and (for the PDF) xhtml2pdf.

Rendering runs in a worker thread under a time limit (REPORT_TIMEOUT seconds, default
30): the caller gets `ReportTimeout` when the limit passes, and xhtml2pdf's own render
budget stops the abandoned conversion soon after. At most MAX_RENDERS workers exist at a
time, so renders that never finish cannot pile up threads.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from survey_app.reports import charts
from survey_app.reports.model import Report
from survey_app.reports.pdf import CHART_SCHEME, ReportRenderError, ReportTimeout, ResourceGate
from survey_app.reports.pdf import html_to_pdf as _html_to_pdf

DEFAULT_TIMEOUT = 30.0
MAX_RENDERS = 2
PDF_CACHE_SIZE = 16
TEMPLATE = "reports/report.html"
PAGE_WIDTH_MM = 170.0
MAX_PRINT_WIDTH_MM = 172.0  # the PDF's text column is 174 mm wide

Mode = Literal["screen", "file", "pdf"]
T = TypeVar("T")

_slots = threading.BoundedSemaphore(MAX_RENDERS)
_pdf_cache: OrderedDict[bytes, bytes] = OrderedDict()
_pdf_cache_lock = threading.Lock()


@dataclass(frozen=True)
class RenderOptions:
    """What differs between the web page, the standalone HTML file and the PDF."""

    mode: Mode
    static_folder: str
    static_url: str = "/static"
    dashboard_url: str = ""
    report_url: str = ""
    pdf_action: str = ""
    csrf_token: str = ""
    language_urls: dict[str, str] = field(default_factory=dict)
    stylesheet: Markup | None = None

    @property
    def screen(self) -> bool:
        """True for the page served to the browser (toolbar and forms)."""
        return self.mode == "screen"


@dataclass(frozen=True)
class ChartRef:
    """A chart as the template places it."""

    src: str
    width_mm: float
    height_mm: float
    alt: str


@dataclass
class RenderedCharts:
    """The report's charts: PNG bytes by key, and how the template refers to them."""

    png: dict[str, bytes] = field(default_factory=dict)
    refs: dict[str, ChartRef] = field(default_factory=dict)
    distributions: list[str] = field(default_factory=list)

    def add(self, key: str, drawn: tuple[bytes, float, float], alt: str, pdf: bool) -> None:
        """Register a chart; the PDF refers to it by name, the web page by data URI."""
        png, width_mm, height_mm = drawn
        scale = min(1.0, MAX_PRINT_WIDTH_MM / width_mm) if width_mm else 1.0
        width_mm, height_mm = width_mm * scale, height_mm * scale
        self.png[key] = png
        src = CHART_SCHEME + key if pdf else _data_uri(png)
        self.refs[key] = ChartRef(src, width_mm, height_mm, alt)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -------------------------------------------------------------------------- charts


def _band_word(band: str | None) -> str:
    return {"strength": _("strength"), "discuss": _("discuss"), "concern": _("concern")}.get(
        band or "", ""
    )


def _status_word(status: str) -> str:
    words = {"met": _("met"), "not_met": _("not met"), "unknown": _("too few answers")}
    return words.get(status, _("not measured"))


def heatmap_spec(report: Report) -> charts.HeatmapSpec:
    """The profile chart's content, in the report's language (call under force_locale)."""
    view = report.view
    rows = []
    for row in view.heatmap:
        cells = []
        for cell in row.cells:
            figure = cell.figure
            if figure.n is not None:
                lines = [figure.mean, _band_word(figure.band)]
                if figure.agreement == "weak":
                    lines[1] += " · ≠ " + _("divided")
            elif figure.hidden:
                lines = ["–", _("hidden (fewer than %(k)d)", k=view.k)]
            else:
                lines = ["–", _("not measured")]
            lines.append(_status_word(cell.status))
            band = figure.band if figure.n is not None else None
            cells.append(charts.HeatCellSpec(band, tuple(lines), cell.is_current))
        rows.append(tuple(cells))
    return charts.HeatmapSpec(
        rows=tuple(row.name for row in view.heatmap),
        columns=tuple(view.phase_names),
        cells=tuple(rows),
        legend=(
            ("strength", _("strength")),
            ("discuss", _("discuss")),
            ("concern", _("concern")),
        ),
        current_label=_("holds the phase"),
    )


def trend_spec(report: Report) -> charts.TrendSpec | None:
    """Component means over the compared rounds, or None without a comparison."""
    comparison = report.comparison
    if comparison is None or len(comparison.chosen) < 2:
        return None
    series = tuple((trend.name, tuple(trend.means)) for trend in comparison.component_trends)
    if not any(mean is not None for _name, means in series for mean in means):
        return None
    thresholds = report.view.analysis.result.thresholds
    return charts.TrendSpec(
        rounds=report.round_labels,
        series=series,
        y_label=_("Mean (1–5)"),
        band_labels=(_("concern"), _("discuss"), _("strength")),
        strength=thresholds.strength,
        discuss=thresholds.discuss,
    )


def distribution_specs(report: Report) -> list[charts.DistributionSpec]:
    """Stacked answer bars for the divided questions, one chart per answer scale."""
    groups: dict[tuple[str, ...], list[tuple[str, tuple[int, ...]]]] = {}
    for item in report.divided_items:
        labels = (*item.labels, _("Don’t know"))
        counts = (*item.distribution, item.dont_know)
        groups.setdefault(labels, []).append((item.text, counts))
    return [
        charts.DistributionSpec(
            items=tuple(text for text, _counts in entries),
            counts=tuple(counts for _text, counts in entries),
            labels=labels,
            percent="{} %" if report.language == "da" else "{}%",
        )
        for labels, entries in groups.items()
    ]


def render_charts(report: Report, pdf: bool) -> RenderedCharts:
    """Draw (or take from the cache) every chart the report shows."""
    rendered = RenderedCharts()
    if not report.view.enough:
        return rendered
    drawn = charts.heatmap_png(heatmap_spec(report), PAGE_WIDTH_MM)
    rendered.add("heatmap", drawn, _("Phase-readiness profile"), pdf)
    trend = trend_spec(report)
    if trend is not None:
        drawn = charts.trend_png(trend, PAGE_WIDTH_MM, 80.0)
        rendered.add("trend", drawn, _("Trends per success component"), pdf)
    for index, spec in enumerate(distribution_specs(report)):
        key = f"distribution-{index}"
        drawn = charts.distribution_png(spec, PAGE_WIDTH_MM)
        rendered.add(key, drawn, _("Where partners disagree"), pdf)
        rendered.distributions.append(key)
    return rendered


# ------------------------------------------------------------------------ template


def render_html(
    app: Flask, report: Report, options: RenderOptions, rendered: RenderedCharts
) -> str:
    """The report as HTML. Context processors are skipped: they would need a request."""
    template = app.jinja_env.get_template(TEMPLATE)
    return template.render(
        report=report,
        options=options,
        pdf=options.mode == "pdf",
        charts=rendered.refs,
        chart_keys={"distributions": rendered.distributions},
        page_number=Markup("<pdf:pagenumber>\n"),
        page_count=Markup("<pdf:pagecount>\n"),
    )


def html_to_pdf(html: str, gate: ResourceGate, seconds: float) -> bytes:
    """xhtml2pdf behind the resource gate (a seam the tests replace with a slow one)."""
    return _html_to_pdf(html, gate, seconds)


def _pdf_key(html: str, rendered: RenderedCharts) -> bytes:
    """What fully determines a PDF: its HTML and the bytes of the charts it embeds."""
    digest = hashlib.sha256(html.encode("utf-8"))
    for key in sorted(rendered.png):
        digest.update(key.encode("utf-8") + b"\0" + hashlib.sha256(rendered.png[key]).digest())
    return digest.digest()


def cached_pdf(
    html: str, rendered: RenderedCharts, options: RenderOptions, seconds: float
) -> bytes:
    """The PDF of this exact HTML and charts, converted once (xhtml2pdf is the slow part)."""
    key = _pdf_key(html, rendered)
    with _pdf_cache_lock:
        if key in _pdf_cache:
            _pdf_cache.move_to_end(key)
            return _pdf_cache[key]
    gate = ResourceGate(options.static_folder, options.static_url, rendered.png)
    pdf = html_to_pdf(html, gate, seconds)
    with _pdf_cache_lock:
        _pdf_cache[key] = pdf
        while len(_pdf_cache) > PDF_CACHE_SIZE:
            _pdf_cache.popitem(last=False)
    return pdf


def clear_cache() -> None:
    """Forget every converted PDF (tests and benchmarks)."""
    with _pdf_cache_lock:
        _pdf_cache.clear()


def _produce(app: Flask, report: Report, options: RenderOptions, seconds: float) -> str | bytes:
    with app.app_context(), force_locale(report.language):
        pdf = options.mode == "pdf"
        rendered = render_charts(report, pdf)
        html = render_html(app, report, options, rendered)
        if not pdf:
            return html
        return cached_pdf(html, rendered, options, seconds)


def run_with_timeout(work: Callable[[], T], seconds: float) -> T:
    """Run `work` in a worker thread; ReportTimeout when it takes longer than `seconds`."""
    if not _slots.acquire(timeout=seconds):
        raise ReportTimeout(seconds)
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error
        finally:
            _slots.release()

    worker = threading.Thread(target=target, name="report-render", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise ReportTimeout(seconds)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def timeout_of(app: Flask) -> float:
    """REPORT_TIMEOUT in seconds: the app's configuration, else the environment, else 30."""
    value = app.config.get("REPORT_TIMEOUT") or os.environ.get("REPORT_TIMEOUT") or DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return seconds if seconds > 0 else DEFAULT_TIMEOUT


def produce(app: Flask, report: Report, options: RenderOptions) -> str | bytes:
    """The report as HTML text (screen and file modes) or PDF bytes, within the time limit."""
    seconds = timeout_of(app)
    return run_with_timeout(lambda: _produce(app, report, options, seconds), seconds)


def stylesheet(static_folder: str) -> Markup:
    """The screen stylesheet's text, to inline in a standalone HTML file.

    Our own static file, never user input; it must not be able to end the <style> element.
    """
    text = (Path(static_folder) / "report.css").read_text(encoding="utf-8")
    if "</" in text:
        raise ReportRenderError("report.css must not contain '</'")
    return Markup(text)  # noqa: S704  (our own stylesheet, checked above)


__all__ = [
    "RenderOptions",
    "ReportRenderError",
    "ReportTimeout",
    "produce",
    "run_with_timeout",
    "stylesheet",
]
