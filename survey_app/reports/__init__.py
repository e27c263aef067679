"""The printable assessment report for the steering group: HTML, PDF and a CLI command."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from survey_app.reports import views  # noqa: E402,F401  (registers the routes)
