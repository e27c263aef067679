"""Login, logout, first-run setup and password change for facilitators and admins."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from survey_app.auth import views  # noqa: E402,F401  (registers the routes)
