"""The live server and browser settings the browser tests share (fixtures in conftest.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, make_server

from survey_app.extensions import db
from survey_app.models import Answer, Response
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright waits at most this long for anything; a hung page fails instead of hanging.
TIMEOUT_MS = 15_000
STOP_TIMEOUT_S = 10


@dataclass
class LiveServer:
    """The running app: its base URL, and the app object for database checks."""

    url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    def responses(self, round_id: int) -> int:
        """Stored responses of a round."""
        with self.app.app_context():
            query = select(func.count(Response.id)).where(Response.round_id == round_id)
            return int(db.session.scalar(query) or 0)

    def answers(self, round_id: int) -> list[dict[str, Any]]:
        """Every stored answer of a round, as plain dicts."""
        with self.app.app_context():
            rows = db.session.execute(
                select(Answer.item_id, Answer.value, Answer.dont_know, Answer.text)
                .join(Response, Response.id == Answer.response_id)
                .where(Response.round_id == round_id)
            )
            return [dict(row._mapping) for row in rows]

    def stop(self) -> None:
        """Stop serving and close the database connections."""
        self.server.shutdown()
        self.thread.join(timeout=STOP_TIMEOUT_S)
        with self.app.app_context():
            db.engine.dispose()


def start_live_server(folder: Path) -> LiveServer:
    """The real app on a fresh, migrated SQLite file, served on a free 127.0.0.1 port."""
    app = make_app(
        f"sqlite:///{folder / 'live.db'}",
        folder / "instance",
        SERVER_NAME=None,
        SESSION_COOKIE_SECURE=False,
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server, thread)
