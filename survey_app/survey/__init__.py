"""The public survey: partners answer a round anonymously by link or one-time code."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from survey_app.survey import views  # noqa: E402,F401  (registers the routes)
