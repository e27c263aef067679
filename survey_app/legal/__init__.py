"""Public pages: the privacy notice for partners and the accessibility statement."""

from flask import Blueprint

bp = Blueprint("legal", __name__)

from survey_app.legal import views  # noqa: E402,F401  (registers the routes)
