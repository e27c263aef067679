"""Screenshots of the survey item page for a person to look at (test-artifacts/, gitignored)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.flows import open_by_link
from tests.browser.live import ARTIFACTS, DESKTOP, PHONE, LiveServer
from tests.survey_helpers import open_round

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_item_page_screenshot(
    live_server: LiveServer, new_context: Any, viewport: dict[str, int], request: Any
) -> None:
    opened = open_round(live_server.app, ["resources"], codes=0)
    page = new_context(viewport=viewport).new_page()
    open_by_link(page, live_server.url, opened.token)
    page.locator('[id="q_backbone_time_1-4"]').check()
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"survey-item-page-{request.node.callspec.id}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    # Every answer option sits inside the viewport: nothing is cut off at the side.
    widest = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.choice')]"
        ".map(n => n.getBoundingClientRect().right))"
    )
    assert widest <= viewport["width"]
