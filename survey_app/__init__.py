"""Survey and assessment platform for collective impact initiatives."""

from survey_app.app import create_app

__all__ = ["create_app"]
