"""The instrument library in the browser: preview, upload, versions and differences."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from survey_app.library import views  # noqa: E402,F401  (registers the routes)
