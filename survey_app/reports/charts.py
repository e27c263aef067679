"""Server-side charts for the printed report: greyscale PNGs drawn with matplotlib (Agg).

Every chart is read without colour: bands are grey levels with words printed in the
cells, trend lines differ by marker and dash pattern, answer segments by grey level and
hatching. A chart is a pure function of its spec (a frozen, hashable dataclass holding
already formatted and translated text), so the PNG bytes are cached per spec and a
report rendered twice draws nothing twice.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import Image

DPI = 150
CHART_CACHE_SIZE = 128
MM_PER_INCH = 25.4
FONT_SIZE = 8.5

# Band fills from light (concern) to dark (strength); text turns white on dark fills.
BAND_FILL = {"strength": "#4a4a4a", "discuss": "#bfbfbf", "concern": "#f2f2f2"}
BAND_TEXT = {"strength": "#ffffff", "discuss": "#000000", "concern": "#000000"}
BAND_HATCH = {"strength": "", "discuss": "", "concern": "////"}
LINE_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"))
LINE_GREYS = ("#000000", "#3c3c3c", "#5a5a5a", "#202020", "#707070")
SEGMENT_GREYS = ("#1e1e1e", "#555555", "#8c8c8c", "#c3c3c3", "#ececec")
SEGMENT_HATCHES = ("", "", "", "", "")
DONT_KNOW_FILL = "#ffffff"
DONT_KNOW_HATCH = "...."

_draw_lock = threading.Lock()


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class HeatCellSpec:
    """One profile cell: its band (None when hidden or not measured) and printed lines."""

    band: str | None
    lines: tuple[str, ...]
    current: bool


@dataclass(frozen=True)
class HeatmapSpec:
    """The component x phase profile."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[HeatCellSpec, ...], ...]
    legend: tuple[tuple[str, str], ...]  # (band, label)
    current_label: str


@dataclass(frozen=True)
class TrendSpec:
    """Means per series (None where hidden) over rounds."""

    rounds: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    y_label: str
    band_labels: tuple[str, str, str]  # concern, discuss, strength
    strength: float
    discuss: float


@dataclass(frozen=True)
class DistributionSpec:
    """Answer counts per item on one scale, drawn as 100% stacked bars."""

    items: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # per item: counts of 1..A, then don't know
    labels: tuple[str, ...]  # answer labels 1..A, then the don't-know label
    percent: str = "{} %"  # how the language writes a percentage


# ------------------------------------------------------------------------- drawing


def _figure(width_mm: float, height_mm: float) -> tuple[Any, Any]:
    """A new figure with an Agg canvas (no pyplot state, safe outside the main thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.canvas


def _png(figure: Any) -> tuple[bytes, float, float]:
    """The figure cropped to its content as an 8-bit greyscale PNG, with its size in mm.

    Greyscale is a third of the RGBA size and quick to embed; the size is the printed
    size at DPI, so the chart's text prints at its own point size.
    """
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.04)
    with Image.open(io.BytesIO(drawn.getvalue())) as image:
        grey = image.convert("L")
    out = io.BytesIO()
    grey.save(out, format="PNG", compress_level=3)
    width, height = grey.size
    return out.getvalue(), width / DPI * MM_PER_INCH, height / DPI * MM_PER_INCH


def _wrap(text: str, width: int, max_lines: int = 3) -> str:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], textwrap.shorten(" ".join(lines[max_lines - 1 :]), width)]
    return "\n".join(lines)


def _style(axes: Any) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=FONT_SIZE, colors="#000000")


def _rcparams() -> dict[str, object]:
    return {
        "font.family": "DejaVu Sans",
        "font.size": FONT_SIZE,
        "hatch.linewidth": 0.6,
        "svg.fonttype": "none",
    }


@lru_cache(maxsize=CHART_CACHE_SIZE)
def heatmap_png(spec: HeatmapSpec, width_mm: float = 170.0) -> tuple[bytes, float, float]:
    """The profile as a grid of cells; returns (PNG, width and height in mm)."""
    from matplotlib import rc_context
    from matplotlib.patches import Rectangle

    n_rows, n_cols = len(spec.rows), len(spec.columns)
    height_mm = 20 + 19 * n_rows
    with _draw_lock, rc_context(_rcparams()):
        figure, _canvas = _figure(width_mm, height_mm)
        left, top_pad, bottom_pad = 0.2, 12 / height_mm, 11 / height_mm
        axes = figure.add_axes((left, bottom_pad, 1 - left - 0.01, 1 - top_pad - bottom_pad))
        axes.set_xlim(0, n_cols)
        axes.set_ylim(n_rows, 0)
        axes.axis("off")
        for column, name in enumerate(spec.columns):
            axes.text(
                column + 0.5,
                -0.08,
                _wrap(name, 18, 4),
                ha="center",
                va="bottom",
                fontsize=FONT_SIZE - 0.5,
                fontweight="bold",
            )
        for row, name in enumerate(spec.rows):
            axes.text(
                -0.06,
                row + 0.5,
                _wrap(name, 20, 3),
                ha="right",
                va="center",
                fontsize=FONT_SIZE,
                fontweight="bold",
            )
            for column, cell in enumerate(spec.cells[row]):
                _heat_cell(axes, Rectangle, row, column, cell)
        _heat_legend(figure, spec)
        return _png(figure)


def _heat_cell(axes: Any, rectangle: Any, row: int, column: int, cell: HeatCellSpec) -> None:
    fill = BAND_FILL.get(cell.band or "", "#ffffff")
    hatch = BAND_HATCH.get(cell.band or "", "")
    axes.add_patch(
        rectangle(
            (column + 0.03, row + 0.05),
            0.94,
            0.9,
            facecolor=fill,
            hatch=hatch,
            edgecolor="#9a9a9a" if cell.band else "#bdbdbd",
            linestyle="-" if cell.band else ":",
            linewidth=0.6,
        )
    )
    if cell.current:
        axes.add_patch(
            rectangle(
                (column + 0.03, row + 0.05),
                0.94,
                0.9,
                fill=False,
                edgecolor="#000000",
                linewidth=2.4,
            )
        )
    colour = BAND_TEXT.get(cell.band or "", "#000000")
    first, *rest = cell.lines or ("",)
    axes.text(
        column + 0.5,
        row + 0.3,
        first,
        ha="center",
        va="center",
        color=colour,
        fontsize=FONT_SIZE + 3,
        fontweight="bold",
        bbox=_text_box(cell.band),
    )
    if rest:
        axes.text(
            column + 0.5,
            row + 0.5,
            "\n".join(rest),
            ha="center",
            va="top",
            color=colour,
            fontsize=FONT_SIZE - 1.2,
            linespacing=1.1,
            bbox=_text_box(cell.band),
        )


def _text_box(band: str | None) -> dict[str, object] | None:
    """A white box behind text on hatched cells, so the hatching never crosses letters."""
    if band != "concern":
        return None
    return {"boxstyle": "square,pad=0.15", "facecolor": "#f2f2f2", "edgecolor": "none"}


def _heat_legend(figure: Any, spec: HeatmapSpec) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=BAND_FILL[band], hatch=BAND_HATCH[band], edgecolor="#777777", label=label)
        for band, label in spec.legend
    ]
    handles.append(
        Patch(facecolor="#ffffff", edgecolor="#000000", linewidth=2.0, label=spec.current_label)
    )
    figure.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        frameon=False,
        fontsize=FONT_SIZE - 0.5,
        handlelength=1.6,
        bbox_to_anchor=(0.5, 0.0),
    )


@lru_cache(maxsize=CHART_CACHE_SIZE)
def trend_png(
    spec: TrendSpec, width_mm: float = 170.0, height_mm: float = 78.0
) -> tuple[bytes, float, float]:
    """Lines of means over rounds, told apart by marker and dash pattern, not by colour."""
    from matplotlib import rc_context

    count = len(spec.rounds)
    with _draw_lock, rc_context(_rcparams()):
        figure, _canvas = _figure(width_mm, height_mm)
        axes = figure.add_axes((0.08, 0.30, 0.74, 0.66))
        _style(axes)
        axes.set_ylim(1, 5)
        axes.set_xlim(-0.3, count - 0.7)
        _trend_bands(axes, spec, count)
        for index, (name, means) in enumerate(spec.series):
            dash, marker = LINE_STYLES[index % len(LINE_STYLES)]
            points = [(x, y) for x, y in enumerate(means) if y is not None]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            axes.plot(
                xs,
                ys,
                linestyle=dash,
                marker=marker,
                color=LINE_GREYS[index % 5],
                linewidth=1.6,
                markersize=6,
                markerfacecolor="#ffffff",
                markeredgewidth=1.4,
                label=_wrap(name, 34, 2),
            )
        axes.set_xticks(range(count), [_wrap(name, 16, 2) for name in spec.rounds])
        axes.set_yticks([1, 2, 3, 4, 5])
        axes.set_ylabel(spec.y_label, fontsize=FONT_SIZE)
        axes.grid(axis="y", color="#d0d0d0", linewidth=0.5)
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=2,
            frameon=False,
            fontsize=FONT_SIZE - 0.5,
            handlelength=3.2,
        )
        return _png(figure)


def _trend_bands(axes: Any, spec: TrendSpec, count: int) -> None:
    """Faint band backgrounds with their names at the right edge."""
    edges = ((1, spec.discuss), (spec.discuss, spec.strength), (spec.strength, 5))
    shades = ("#f4f4f4", "#ffffff", "#e9e9e9")
    for (low, high), shade, label in zip(edges, shades, spec.band_labels, strict=True):
        axes.axhspan(low, high, color=shade, zorder=0, linewidth=0)
        axes.text(
            count - 0.65,
            (low + high) / 2,
            label,
            fontsize=FONT_SIZE - 1,
            va="center",
            ha="left",
            color="#333333",
            clip_on=False,
        )


@lru_cache(maxsize=CHART_CACHE_SIZE)
def distribution_png(spec: DistributionSpec, width_mm: float = 170.0) -> tuple[bytes, float, float]:
    """100% stacked bars of the answers to each item; returns (PNG, width and height in mm)."""
    from matplotlib import rc_context

    rows = len(spec.items)
    height_mm = 22 + 11.5 * rows
    with _draw_lock, rc_context(_rcparams()):
        figure, _canvas = _figure(width_mm, height_mm)
        bottom = 16 / height_mm
        axes = figure.add_axes((0.36, bottom, 0.62, 1 - bottom - 6 / height_mm))
        _style(axes)
        axes.spines["left"].set_visible(False)
        axes.set_xlim(0, 100)
        axes.set_ylim(rows - 0.5, -0.5)
        axes.set_yticks(range(rows), [_wrap(text, 44, 3) for text in spec.items])
        axes.tick_params(axis="y", length=0, labelsize=FONT_SIZE - 0.5)
        ticks = [0, 25, 50, 75, 100]
        axes.set_xticks(ticks, [spec.percent.format(tick) for tick in ticks])
        for row, counts in enumerate(spec.counts):
            _stacked_bar(axes, row, counts)
        _distribution_legend(axes, figure, spec)
        return _png(figure)


def _stacked_bar(axes: Any, row: int, counts: Sequence[int]) -> None:
    total = sum(counts) or 1
    start = 0.0
    points = len(counts) - 1
    for index, count in enumerate(counts):
        width = 100 * count / total
        if width <= 0:
            continue
        is_dont_know = index == points
        fill = DONT_KNOW_FILL if is_dont_know else _segment_grey(index, points)
        hatch = DONT_KNOW_HATCH if is_dont_know else ""
        axes.barh(
            row,
            width,
            left=start,
            height=0.62,
            color=fill,
            hatch=hatch,
            edgecolor="#555555",
            linewidth=0.5,
        )
        if width >= 6:
            dark = not is_dont_know and index < points / 2
            axes.text(
                start + width / 2,
                row,
                str(count),
                ha="center",
                va="center",
                fontsize=FONT_SIZE - 0.5,
                color="#ffffff" if dark else "#000000",
            )
        start += width


def _segment_grey(index: int, points: int) -> str:
    """Grey of answer index (0 = lowest) on a scale of `points` answers."""
    if points == len(SEGMENT_GREYS):
        return SEGMENT_GREYS[index]
    level = int(30 + 205 * index / max(points - 1, 1))
    return f"#{level:02x}{level:02x}{level:02x}"


def _distribution_legend(axes: Any, figure: Any, spec: DistributionSpec) -> None:
    from matplotlib.patches import Patch

    points = len(spec.labels) - 1
    handles = [
        Patch(
            facecolor=_segment_grey(index, points),
            edgecolor="#555555",
            label=f"{index + 1} {label}",
        )
        for index, label in enumerate(spec.labels[:-1])
    ]
    handles.append(
        Patch(
            facecolor=DONT_KNOW_FILL,
            hatch=DONT_KNOW_HATCH,
            edgecolor="#555555",
            label=spec.labels[-1],
        )
    )
    figure.legend(
        handles=handles,
        loc="lower center",
        ncol=min(len(handles), 6),
        frameon=False,
        fontsize=FONT_SIZE - 1,
        handlelength=1.4,
        columnspacing=1.0,
        bbox_to_anchor=(0.5, 0.0),
    )


def clear_cache() -> None:
    """Forget every cached chart (tests)."""
    heatmap_png.cache_clear()
    trend_png.cache_clear()
    distribution_png.cache_clear()
