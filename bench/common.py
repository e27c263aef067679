"""What every benchmark needs: the real app on a scratch SQLite file, migrated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


def bench_app(workdir: Path, **overrides: Any) -> Flask:
    """The app in testing mode on `workdir`/bench.db, migrated to head, limits off."""
    os.environ.setdefault("APP_ENV", "testing")
    from flask_migrate import upgrade

    from survey_app import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "INSTANCE_PATH": str(workdir / "instance"),
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app
