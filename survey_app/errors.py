"""Error pages in both languages, with the security headers of every other page."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

HANDLED_CODES = (400, 403, 404, 405, 413, 429, 500)


def render_error(error: HTTPException) -> tuple[str, int]:
    """Render the error page for an HTTP error."""
    code = error.code or 500
    return render_template("errors/error.html", code=code), code


def register(app: Flask) -> None:
    """Register the error handlers."""
    for code in HANDLED_CODES:
        app.register_error_handler(code, render_error)
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, render_error)
