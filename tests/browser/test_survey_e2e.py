"""Partners answer a round in a real browser, on a phone and on a desktop, and it is stored."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flows import (
    PAGE_PATH,
    REVIEW_PATH,
    THANKS_PATH,
    Answers,
    answer_every_page,
    fill_current_page,
    likert_names,
    open_by_code,
    open_by_link,
    press_next,
    send_from_review,
)
from tests.browser.live import DESKTOP, PHONE, LiveServer
from tests.survey_helpers import open_round

pytestmark = pytest.mark.browser

RESOURCES_SCALE_ITEMS = 12  # scale items of instruments/resources.yaml


def _stored_values(server: LiveServer, round_id: int) -> dict[str, Any]:
    """item id -> stored value (or text) of the round's answers."""
    return {
        row["item_id"]: row["text"] if row["value"] is None else row["value"]
        for row in server.answers(round_id)
    }


def _assert_resources_answers_stored(server: LiveServer, round_id: int, answers: Answers) -> None:
    """One response holding every answer given on the resources instrument."""
    assert server.responses(round_id) == 1
    stored = _stored_values(server, round_id)
    not_scale = {"hours_per_month", "resources_comment"}
    scale_values = [value for key, value in stored.items() if key not in not_scale]
    assert len(stored) == RESOURCES_SCALE_ITEMS + 2, stored
    assert stored["hours_per_month"] == float(answers.number)
    assert stored["resources_comment"] == answers.comment
    assert scale_values.count(float(answers.point)) == RESOURCES_SCALE_ITEMS


@pytest.mark.parametrize("entry", ["link", "code"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_partner_completes_a_round(
    live_server: LiveServer, new_context: Any, viewport: dict[str, int], entry: str
) -> None:
    opened = open_round(live_server.app, ["resources"], codes=1)
    page = new_context(viewport=viewport).new_page()
    if entry == "link":
        open_by_link(page, live_server.url, opened.token)
    else:
        open_by_code(page, live_server.url, opened.codes[0])
    answers = Answers(point="2" if entry == "link" else "5")
    answer_every_page(page, answers)
    expect(page.locator("main")).to_contain_text(answers.comment)
    send_from_review(page)
    expect(page.locator("h1")).to_have_text("Tak for dine svar")
    _assert_resources_answers_stored(live_server, opened.round_id, answers)


def test_partner_answers_in_english_after_switching_on_a_page(
    live_server: LiveServer, page: Page
) -> None:
    opened = open_round(live_server.app, ["resources"], codes=0)
    open_by_link(page, live_server.url, opened.token)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    answers = Answers(point="3")
    fill_current_page(page, answers)
    page.get_by_role("button", name="Read in English").click()
    expect(page).to_have_url(PAGE_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Resources")
    for name in likert_names(page):
        expect(page.locator(f'[id="{name}-3"]')).to_be_checked()
    press_next(page)
    answer_every_page(page, answers)
    expect(page.locator("h1")).to_have_text("Review your answers")
    send_from_review(page)
    expect(page.locator("h1")).to_have_text("Thank you for your answers")
    _assert_resources_answers_stored(live_server, opened.round_id, answers)


def test_draft_resumes_by_code_in_a_new_browser_context(
    live_server: LiveServer, new_context: Any
) -> None:
    opened = open_round(live_server.app, ["resources"], codes=1)
    first = new_context(viewport=PHONE).new_page()
    open_by_code(first, live_server.url, opened.codes[0])
    answers = Answers(point="1")
    fill_current_page(first, answers)
    first.locator('button[name="action"][value="later"]').click()
    expect(first.locator("h1")).to_have_text("Dine svar er gemt")
    first.context.close()

    second = new_context(viewport=DESKTOP).new_page()
    open_by_code(second, live_server.url, opened.codes[0])
    expect(second).to_have_url(PAGE_PATH)
    for name in likert_names(second):
        expect(second.locator(f'[id="{name}-1"]')).to_be_checked()
    answer_every_page(second, answers)
    send_from_review(second)
    _assert_resources_answers_stored(live_server, opened.round_id, answers)


def _tab_to(page: Page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus (bounded)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _keyboard_page(page: Page, answers: Answers) -> None:
    """Answer the current page and press 'next' with the keyboard alone."""
    for name in likert_names(page):
        # Tab lands on the first radio of an unanswered group; Space picks it.
        _tab_to(page, f'input[name="{name}"]')
        page.keyboard.press("Space")
        expect(page.locator(f'[id="{name}-1"]')).to_be_checked()
    for name in ("q_sector", "q_role"):
        if page.locator(f'input[name="{name}"]').count():
            _tab_to(page, f'input[name="{name}"]')
            page.keyboard.press("Space")
    if page.locator('input[inputmode="decimal"]').count():
        _tab_to(page, 'input[inputmode="decimal"]')
        page.keyboard.type(answers.number)
    if page.locator("textarea").count():
        _tab_to(page, "textarea")
        page.keyboard.type(answers.comment)
    _tab_to(page, 'button[name="action"][value="next"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_partner_completes_a_round(live_server: LiveServer, page: Page) -> None:
    opened = open_round(live_server.app, ["resources"], codes=0)
    page.goto(f"{live_server.url}/s/{opened.token}")
    _tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(PAGE_PATH)
    answers = Answers(point="1")
    for _ in range(10):
        if REVIEW_PATH.search(page.url):
            break
        _keyboard_page(page, answers)
    expect(page).to_have_url(REVIEW_PATH)
    _tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(THANKS_PATH)
    _assert_resources_answers_stored(live_server, opened.round_id, answers)
    stored = _stored_values(live_server, opened.round_id)
    assert stored["backbone_time_1"] == 1.0
