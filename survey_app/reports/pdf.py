"""HTML to PDF with xhtml2pdf, fetching nothing but our own files and chart bytes.

Two locks keep the renderer in: a `link_callback` (`ResourceGate`) that answers only for
the app's static folder, the shipped DejaVu fonts and the charts generated for this
report, and refuses everything else (http(s), other files, foreign `data:` URIs); and,
where xhtml2pdf supports it (0.2.25+), a resource policy that denies the network and
confines local reads to those two folders even on code paths that skip the callback.
Partner text never reaches the renderer as markup: the template escapes it.
"""

from __future__ import annotations

import inspect
import io
import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHART_SCHEME = "report-chart:"
FONT_SCHEME = "report-font:"
# What a refused resource turns into: an empty data URI, which loads nothing.
BLOCKED = "data:application/octet-stream;base64,"
FONT_FILES = frozenset(
    {
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
        "DejaVuSansMono.ttf",
    }
)


class ReportRenderError(RuntimeError):
    """The report could not be made."""


class ReportTimeout(ReportRenderError):
    """The report took longer than its time limit (REPORT_TIMEOUT seconds)."""

    def __init__(self, seconds: float) -> None:
        """Say how long the limit was."""
        super().__init__(f"the report took longer than {seconds:g} seconds")
        self.seconds = seconds


@cache
def font_dir() -> Path:
    """The folder of the DejaVu fonts matplotlib ships (a runtime dependency)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    if not (folder / "DejaVuSans.ttf").is_file():
        raise ReportRenderError(f"DejaVu Sans is missing from {folder}")
    return folder


class ResourceGate:
    """The link_callback: maps our own resource names to bytes or files, refuses the rest."""

    def __init__(
        self, static_folder: str | Path, static_url: str, charts: Mapping[str, bytes]
    ) -> None:
        """Serve files under `static_folder` (addressed as `static_url`/…) and `charts`."""
        self.static_folder = Path(static_folder).resolve()
        self.static_url = static_url.rstrip("/") + "/"
        self.charts = dict(charts)
        self.refused: list[str] = []
        self.served: list[str] = []

    def __call__(self, uri: Any, rel: Any = None) -> str | bytes:
        """Resolve `uri` for xhtml2pdf; a refusal returns an empty data URI."""
        text = uri if isinstance(uri, str) else ""
        resolved = self._resolve(text)
        if resolved is None:
            self.refused.append(text[:200])
            log.warning("report: refused resource %r", text[:200])
            return BLOCKED
        self.served.append(text[:200])
        return resolved

    def _resolve(self, uri: str) -> str | bytes | None:
        if uri.startswith(CHART_SCHEME):
            return self.charts.get(uri[len(CHART_SCHEME) :])
        if uri.startswith(FONT_SCHEME):
            name = uri[len(FONT_SCHEME) :]
            return str(font_dir() / name) if name in FONT_FILES else None
        if uri.startswith(self.static_url):
            return self._static_file(uri[len(self.static_url) :])
        return None

    def _static_file(self, name: str) -> str | None:
        if not name or "\\" in name or "\x00" in name or "?" in name or "#" in name:
            return None
        path = (self.static_folder / name).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            return None
        return str(path)


def resource_policy(static_folder: str | Path, seconds: float) -> Any:
    """xhtml2pdf's resource policy (0.2.25+): no network, reads confined to our folders."""
    try:
        from xhtml2pdf.config.resources import ResourceAccessPolicy
    except ImportError:  # an older xhtml2pdf: the gate alone applies
        return None
    return ResourceAccessPolicy.server(
        base_dir=Path(static_folder).resolve(),
        extra_roots=(font_dir(),),
        allow_remote=False,
        allowed_hosts=frozenset(),
        max_render_seconds=max(seconds, 0.001),
        max_resources=40,
        max_document_bytes=50 * 1024 * 1024,  # many long comments are still a report
    )


@cache
def _accepts_policy() -> bool:
    from xhtml2pdf import pisa

    return "resource_policy" in inspect.signature(pisa.CreatePDF).parameters


def html_to_pdf(html: str, gate: ResourceGate, seconds: float) -> bytes:
    """Convert the report's HTML to PDF bytes within `seconds` (checked cooperatively)."""
    from xhtml2pdf import pisa

    options: dict[str, Any] = {"link_callback": gate, "encoding": "utf-8"}
    if _accepts_policy():
        options["resource_policy"] = resource_policy(gate.static_folder, seconds)
    out = io.BytesIO()
    try:
        status = pisa.CreatePDF(html, dest=out, **options)
    except Exception as error:
        if type(error).__name__ == "RenderLimitError" and "seconds" in str(error):
            raise ReportTimeout(seconds) from error
        # xhtml2pdf raises many kinds of error; every one means "no PDF".
        raise ReportRenderError(f"the PDF could not be made: {error}") from error
    if getattr(status, "err", 0):
        raise ReportRenderError(f"the PDF could not be made ({status.err} errors)")
    return out.getvalue()
