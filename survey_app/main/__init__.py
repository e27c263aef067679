"""Start page, language switch and static information pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from survey_app.main import views  # noqa: E402,F401  (registers the routes)
