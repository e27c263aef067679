"""Survey and assessment platform for collective impact initiatives."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `survey_app.core` can be used without loading Flask.
    if name == "create_app":
        from survey_app.app import create_app

        return create_app
    raise AttributeError(name)
