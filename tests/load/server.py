"""gunicorn with 4 workers on a free loopback port, on SQLite or PostgreSQL.

Started and stopped by process id only; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, func, select, text

from survey_app.extensions import db
from survey_app.models import Answer, Response
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WORKERS = 4
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 20
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
LARGE = os.environ.get("LOAD_SCALE", "").lower() == "large"


def scaled(small: int, large: int) -> int:
    """A count for the current LOAD_SCALE."""
    return large if LARGE else small


@dataclass
class Server:
    """A running gunicorn: where it listens, its database, and its log."""

    backend: str
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    app: Flask

    def log_offset(self) -> int:
        """The log's current length, to read only what a test caused."""
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        """What the server logged after `offset`."""
        with self.log_path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    def worker_pids(self) -> list[int]:
        """Process ids of gunicorn's current workers (children of the master)."""
        return children_of(self.process.pid)

    def responses(self, round_id: int) -> int:
        """Stored responses of a round."""
        with self.app.app_context():
            query = select(func.count(Response.id)).where(Response.round_id == round_id)
            return int(db.session.scalar(query) or 0)

    def answers_per_response(self, round_id: int) -> list[int]:
        """How many answers each stored response of a round has."""
        with self.app.app_context():
            query = (
                select(func.count(Answer.item_id))
                .select_from(Response)
                .outerjoin(Answer, Answer.response_id == Response.id)
                .where(Response.round_id == round_id)
                .group_by(Response.id)
            )
            return [int(count) for count in db.session.scalars(query)]


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid`, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def wait_for_workers(server: Server, count: int = WORKERS, timeout_s: float = 60) -> None:
    """Wait until gunicorn has `count` workers again (after one was killed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(server.worker_pids()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not get back to {count} workers")


def _migrate(database_url: str, instance: Path) -> Flask:
    app = make_app(database_url, instance)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@contextmanager
def fresh_postgres_database(base_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the server of `base_url`, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait_until_listening(process: subprocess.Popen[bytes], log_path: Path) -> int:
    """The port gunicorn reports, once it answers; fails with the log if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_S
    port = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        match = LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            port = int(match.group(1))
            if _answers(f"http://127.0.0.1:{port}/login"):
                return port
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start:\n{log_path.read_text(errors='replace')}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn (master, then any worker left) by process id."""
    workers = children_of(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
    for pid in workers:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def gunicorn_environment(database_url: str, instance: Path) -> dict[str, str]:
    """What the workers are started with: a real secret, the database, generous limits.

    Every load client comes from 127.0.0.1, so the per-address limits on codes and
    submissions are raised; the limits themselves are tested in the main suite.
    """
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SUBMIT_LIMIT_PER_IP": "100000 per minute",
            "CODE_LIMIT_PER_IP": "100000 per minute",
            "COOKIE_SECURE": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("PROXY_COUNT", None)
    return env


def start_gunicorn(backend: str, database_url: str, folder: Path) -> Server:
    """Migrate the database, start gunicorn -w 4 on a free port and wait until it answers."""
    app = _migrate(database_url, folder / "instance-tests")
    log_path = folder / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS),
        "--bind", "127.0.0.1:0",
        "--timeout", "60",
        "--graceful-timeout", "5",
        "--chdir", str(ROOT),
        "survey_app:create_app()",
    ]  # fmt: skip
    env = gunicorn_environment(database_url, folder / "instance-server")
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        port = _wait_until_listening(process, log_path)
    except BaseException:
        stop_gunicorn(process)
        raise
    return Server(backend, f"http://127.0.0.1:{port}", database_url, process, log_path, app)
