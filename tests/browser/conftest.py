"""Fixtures of the browser tests: a live server running the real app, and Debian's Chromium.

The server is the app factory on a fresh, migrated SQLite file, served by werkzeug in a
background thread on a free loopback port (tests/browser/live.py). Tests create rounds
through the services in their own app context, as tests/survey_helpers.py does, and check
the database directly. Without /usr/bin/chromium the tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    TIMEOUT_MS,
    LiveServer,
    start_live_server,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without the browser; fail in CI, where it must exist."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    """Checked before anything else is set up, so a missing browser skips (or fails) fast."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app on a fresh SQLite file, served on a free 127.0.0.1 port."""
    server = start_live_server(tmp_path_factory.mktemp("live"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    """Playwright's sync driver (one per session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, with nothing reaching outside the machine."""
    chromium = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
    )
    yield chromium
    chromium.close()


@pytest.fixture()
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Factory of fresh browser contexts (own cookies), closed after the test."""
    contexts: list[BrowserContext] = []

    def _make(viewport: dict[str, int] | None = None, **options: Any) -> BrowserContext:
        context = browser.new_context(viewport=viewport or DESKTOP, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A desktop-sized page in a fresh context."""
    return new_context().new_page()
