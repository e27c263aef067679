"""The facilitators' workspace: initiatives, rounds, distribution, results and exports."""

from flask import Blueprint

bp = Blueprint("workspace", __name__)

from survey_app.workspace import views  # noqa: E402,F401  (registers the routes)
