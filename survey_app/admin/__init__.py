"""Administration and data protection: accounts, audit log, deletion, retention, redaction."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from survey_app.admin import (  # noqa: E402,F401  (registers the routes)
    account_views,
    audit_views,
    data_views,
    guards,
)
