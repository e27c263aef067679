"""What a partner does in the browser: open the survey, answer pages, review, send."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

MAX_PAGES = 40  # bounds every loop over survey pages
PAGE_PATH = re.compile(r"/r/\d+/page/\d+$")
REVIEW_PATH = re.compile(r"/r/\d+/review$")
THANKS_PATH = re.compile(r"/r/\d+/thanks")


@dataclass(frozen=True)
class Answers:
    """What the partner answers: a scale point everywhere, a number, a comment."""

    point: str = "4"
    number: str = "12"
    comment: str = "Mere tid til koordinering"
    sector: str = "public"
    role: str = "partner"


def open_by_link(page: Page, base_url: str, token: str) -> None:
    """Open the round link and press start; ends on the first survey page."""
    page.goto(f"{base_url}/s/{token}")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(PAGE_PATH)


def open_by_code(page: Page, base_url: str, code: str) -> None:
    """Type the invitation code (lower case, as people do) and continue."""
    page.goto(f"{base_url}/code")
    page.get_by_role("textbox").fill(code.lower())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(PAGE_PATH)


def likert_names(page: Page) -> list[str]:
    """Field names of the scale items on the current page."""
    return page.eval_on_selector_all("fieldset.likert", "nodes => nodes.map(n => n.id)")


def fill_current_page(page: Page, answers: Answers) -> None:
    """Answer every question on the current page the way `answers` says."""
    for name in likert_names(page):
        page.locator(f'[id="{name}-{answers.point}"]').check()
    for name, value in (("q_sector", answers.sector), ("q_role", answers.role)):
        choice = page.locator(f'input[name="{name}"][value="{value}"]')
        if choice.count():
            choice.check()
    number = page.locator('input[inputmode="decimal"]')
    if number.count():
        number.fill(answers.number)
    comment = page.locator("textarea")
    if comment.count():
        comment.fill(answers.comment)


def press_next(page: Page) -> None:
    """The 'next' (or 'review') button of a survey page."""
    page.locator('button[name="action"][value="next"]').click()


def answer_every_page(page: Page, answers: Answers) -> None:
    """From any survey page, answer it and every following page; ends on the review."""
    for _ in range(MAX_PAGES):
        if REVIEW_PATH.search(page.url):
            return
        fill_current_page(page, answers)
        press_next(page)
        page.wait_for_load_state()
    raise AssertionError("the survey never reached the review page")


def send_from_review(page: Page) -> None:
    """Press 'send' on the review page and land on the thank-you page."""
    expect(page).to_have_url(REVIEW_PATH)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(THANKS_PATH)
