"""Getting a round to partners: QR codes of the link and printable codes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import segno

from survey_app.services.exports import neutralise_cell


def qr_png(url: str, scale: int = 10) -> bytes:
    """A PNG QR code of `url` (error correction M, readable from a projector)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, scale: int = 10) -> bytes:
    """An SVG QR code of `url`, with a title for screen readers."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, title=url
    )
    return buffer.getvalue()


def codes_csv(codes: Sequence[str], round_name: str) -> str:
    """The invitation codes as CSV, one per line (never whether or how they were used)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["round", "code"])
    for code in codes:
        writer.writerow([neutralise_cell(round_name), code])
    return buffer.getvalue()
