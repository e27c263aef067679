"""Fixtures of the load tests: gunicorn with 4 workers on SQLite or PostgreSQL.

Load tests run only when asked for: `pytest -m load` (what `make load` and .ci/run do) or
RUN_LOAD=1. A plain `pytest` or `make test` skips them, so the main suite stays fast.
LOAD_SCALE=large (set by `make load`) raises the number of partners. Figures the tests
report are printed at the end of the run and kept in test-artifacts/load-results.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from survey_app.extensions import db
from tests.load.server import (
    ARTIFACTS,
    LARGE,
    WORKERS,
    Server,
    fresh_postgres_database,
    start_gunicorn,
    stop_gunicorn,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip load tests unless `-m` names them or RUN_LOAD=1 is set."""
    wanted = "load" in (config.getoption("markexpr") or "") or os.environ.get("RUN_LOAD") == "1"
    if wanted:
        return
    reason = "load test: run with `make load`, `pytest -m load` or RUN_LOAD=1"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("load"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database next to TEST_DATABASE_URL's, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL load tests need TEST_DATABASE_URL")
    with fresh_postgres_database(base, "load") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """gunicorn with 4 workers on a fresh SQLite file, or on a fresh PostgreSQL database."""
    folder = tmp_path_factory.mktemp(f"load-{request.param}")
    if request.param == "sqlite":
        database_url = f"sqlite:///{folder / 'load.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    running = start_gunicorn(request.param, database_url, folder)
    try:
        yield running
    finally:
        stop_gunicorn(running.process)
        with running.app.app_context():
            db.engine.dispose()


FIGURES: list[str] = []


@pytest.fixture()
def report(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Lines of figures a test wants quoted; shown at the end of the run."""
    lines: list[str] = []
    yield lines
    FIGURES.extend(f"{request.node.name}: {line}" for line in lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the load figures and keep them in test-artifacts/load-results.md."""
    if not FIGURES:
        return
    scale = "large" if LARGE else "small"
    terminalreporter.section(f"load figures (LOAD_SCALE={scale}, {WORKERS} gunicorn workers)")
    for line in FIGURES:
        terminalreporter.write_line(line)
    ARTIFACTS.mkdir(exist_ok=True)
    lines = "".join(f"- {line}\n" for line in FIGURES)
    (ARTIFACTS / "load-results.md").write_text(f"# Load figures ({scale})\n\n{lines}")
