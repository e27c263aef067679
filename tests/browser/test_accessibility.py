"""Every page type a partner or facilitator can reach has no WCAG 2.1 A/AA violation (axe)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select, update

from survey_app.extensions import db
from survey_app.models import InvitationCode, Membership, Role, Round, User
from survey_app.services import accounts, rounds
from tests.browser.flows import (
    REVIEW_PATH,
    Answers,
    answer_every_page,
    fill_current_page,
    open_by_code,
    open_by_link,
    press_next,
    send_from_review,
)
from tests.browser.live import PHONE, LiveServer
from tests.conftest import TEST_PASSWORD
from tests.survey_helpers import answer_all, open_round, start_by_link, submit_review

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
FACILITATOR = "a11y@example.org"
# WCAG 1.4.10: at 320 CSS pixels (1280 px zoomed to 400 %) nothing may scroll sideways.
REFLOW = {"width": 320, "height": 640}
_axe = Axe()


def assert_no_violations(page: Page) -> None:
    """Run axe on the page as it is now and fail with its report on any violation."""
    results = _axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def assert_no_horizontal_scroll(page: Page) -> None:
    """Content reflows to the viewport's width (WCAG 1.4.10): nothing sticks out sideways."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.fixture()
def facilitator(live_server: LiveServer) -> Iterator[str]:
    """A facilitator account, removed afterwards so the first-run setup page stays reachable."""
    with live_server.app.app_context():
        accounts.create_user(FACILITATOR, TEST_PASSWORD)
        db.session.commit()
    yield FACILITATOR
    with live_server.app.app_context():
        db.session.execute(delete(User).where(User.email == FACILITATOR))
        db.session.commit()


def _log_in(
    page: Page, server: LiveServer, password: str = TEST_PASSWORD, email: str = FACILITATOR
) -> None:
    page.goto(f"{server.url}/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.locator("main form button[type=submit], main form input[type=submit]").click()


def _start(page: Page, server: LiveServer) -> None:
    opened = open_round(server.app, ["resources"], codes=0)
    open_by_link(page, server.url, opened.token)


# Each function brings a fresh page to one page type; the test then checks it.


def reach_intro(page: Page, server: LiveServer) -> None:
    opened = open_round(server.app, ["resources"], codes=0)
    page.goto(f"{server.url}/s/{opened.token}")


def reach_item_page(page: Page, server: LiveServer) -> None:
    _start(page, server)
    page.locator('[id="q_backbone_time_1-4"]').check()  # the chosen answer's style too


def reach_item_page_english(page: Page, server: LiveServer) -> None:
    _start(page, server)
    page.get_by_role("button", name="Read in English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def reach_item_page_with_errors(page: Page, server: LiveServer) -> None:
    _start(page, server)
    fill_current_page(page, Answers())
    press_next(page)
    page.locator('input[inputmode="decimal"]').fill("mange")
    press_next(page)
    expect(page.locator(".error-summary")).to_be_visible()


def reach_saved(page: Page, server: LiveServer) -> None:
    _start(page, server)
    page.locator('button[name="action"][value="later"]').click()


def reach_review(page: Page, server: LiveServer) -> None:
    _start(page, server)
    answer_every_page(page, Answers())
    expect(page).to_have_url(REVIEW_PATH)


def reach_thanks(page: Page, server: LiveServer) -> None:
    reach_review(page, server)
    send_from_review(page)


def reach_enter_code(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/code")


def reach_enter_code_error(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/code")
    page.get_by_role("textbox").fill("ZZZZ-ZZZZ-ZZ")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


def reach_not_open(page: Page, server: LiveServer) -> None:
    opened = open_round(server.app, ["resources"], codes=0)
    with server.app.app_context():
        rounds.close_round(db.session.get(Round, opened.round_id))
        db.session.commit()
    page.goto(f"{server.url}/s/{opened.token}")


def reach_code_used(page: Page, server: LiveServer) -> None:
    opened = open_round(server.app, ["resources"], codes=1)
    open_by_code(page, server.url, opened.codes[0])
    answer_every_page(page, Answers())
    expect(page).to_have_url(REVIEW_PATH)
    with server.app.app_context():  # another device sent an answer with the same code first
        db.session.execute(update(InvitationCode).values(used=True))
        db.session.commit()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Koden er brugt")


def reach_no_draft(page: Page, server: LiveServer) -> None:
    opened = open_round(server.app, ["resources"], codes=0)
    page.goto(f"{server.url}/r/{opened.round_id}/page/1")


def reach_error_404(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/no/such/page")


def reach_accessibility_statement(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/accessibility")


def reach_privacy(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/privacy")


def reach_login(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")


def reach_setup(page: Page, server: LiveServer) -> None:
    with server.app.app_context():
        assert accounts.user_count() == 0, "setup is only reachable while no account exists"
        token = accounts.ensure_setup_token(server.app.instance_path)
    page.goto(f"{server.url}/setup/{token}")
    expect(page.locator("h1")).to_have_text("Opret den første administrator")
    accounts.consume_setup_token(server.app.instance_path)


PUBLIC_PAGES: dict[str, Callable[[Page, LiveServer], None]] = {
    "login": reach_login,
    "survey-intro": reach_intro,
    "survey-item-page": reach_item_page,
    "survey-item-page-english": reach_item_page_english,
    "survey-item-page-with-errors": reach_item_page_with_errors,
    "survey-saved": reach_saved,
    "survey-review": reach_review,
    "survey-thanks": reach_thanks,
    "enter-code": reach_enter_code,
    "enter-code-with-error": reach_enter_code_error,
    "not-open": reach_not_open,
    "code-used": reach_code_used,
    "no-draft": reach_no_draft,
    "setup": reach_setup,
    "error-404": reach_error_404,
    "accessibility-statement": reach_accessibility_statement,
    "privacy": reach_privacy,
}


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_page_has_no_wcag_violation(live_server: LiveServer, new_context: Any, name: str) -> None:
    page = new_context(viewport=PHONE).new_page()
    PUBLIC_PAGES[name](page, live_server)
    assert_no_violations(page)
    assert_no_horizontal_scroll(page)
    page.set_viewport_size(REFLOW)
    assert_no_horizontal_scroll(page)


def reach_login_error(page: Page, server: LiveServer) -> None:
    _log_in(page, server, password="wrong password")
    expect(page.locator(".flash")).to_be_visible()


def reach_change_password(page: Page, server: LiveServer) -> None:
    _log_in(page, server)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{server.url}/account/password")


def reach_change_password_errors(page: Page, server: LiveServer) -> None:
    reach_change_password(page, server)
    page.locator("main form button[type=submit], main form input[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


FACILITATOR_PAGES: dict[str, Callable[[Page, LiveServer], None]] = {
    "login-with-error": reach_login_error,
    "change-password": reach_change_password,
    "change-password-with-errors": reach_change_password_errors,
}


@pytest.mark.parametrize("name", list(FACILITATOR_PAGES))
def test_facilitator_page_has_no_wcag_violation(
    live_server: LiveServer, new_context: Any, facilitator: str, name: str
) -> None:
    page = new_context().new_page()
    FACILITATOR_PAGES[name](page, live_server)
    assert_no_violations(page)
    page.set_viewport_size(REFLOW)
    assert_no_horizontal_scroll(page)


def _assert_buttons_readable_when_hovered(page: Page) -> None:
    buttons = page.locator("main button, header button")
    for index in range(buttons.count()):
        button = buttons.nth(index)
        button.hover()
        button.evaluate("node => node.setAttribute('data-hovered', '')")
        results = _axe.run(page, context="[data-hovered]", options=AXE_OPTIONS)
        button.evaluate("node => node.removeAttribute('data-hovered')")
        assert results.violations_count == 0, results.generate_report()


def test_buttons_keep_their_contrast_under_the_mouse(
    live_server: LiveServer, new_context: Any
) -> None:
    """Hover styles are outside axe's view of a page at rest: check each button hovered."""
    page = new_context().new_page()
    reach_intro(page, live_server)  # the header's language button and the start button
    _assert_buttons_readable_when_hovered(page)
    page.locator("main form button[type=submit]").click()
    fill_current_page(page, Answers())
    press_next(page)  # page 2 has every other kind: next, back, later, language
    assert page.locator("main button").count() >= 4
    _assert_buttons_readable_when_hovered(page)


def test_axe_does_find_a_violation_on_a_broken_page(live_server: LiveServer, page: Page) -> None:
    """The harness itself works under the app's CSP: an unlabelled input is reported."""
    reach_login(page, live_server)
    page.evaluate("() => document.querySelectorAll('label').forEach(label => label.remove())")
    results = _axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count > 0
    assert "label" in results.generate_report()


# The facilitators' pages, one of each kind. {i} is the initiative, {r} a round with answers.
WORKSPACE_PAGES = [
    "/initiatives",
    "/initiatives/new",
    "/initiatives/{i}",
    "/initiatives/{i}/edit",
    "/initiatives/{i}/members",
    "/initiatives/{i}/rounds/new",
    "/initiatives/{i}/compare",
    "/initiatives/{i}/data",
    "/initiatives/{i}/delete",
    "/initiatives/{i}/audit",
    "/rounds/{r}",
    "/rounds/{r}/edit",
    "/rounds/{r}/distribute",
    "/rounds/{r}/results",
    "/rounds/{r}/exports",
    "/rounds/{r}/report",
    "/rounds/{r}/comments",
    "/rounds/{r}/delete",
    "/rounds/{r}/codes/print",
    "/rounds/{r}/poster",
    "/admin/accounts",
    "/admin/audit",
    "/library/",
    "/library/resources/1",
    "/library/resources/1/preview",
    "/library/upload",
]
ADMIN = "a11y-admin@example.org"


def _round_with_answers(server: LiveServer, user_email: str, responses: int = 6) -> tuple[int, int]:
    """A round of an initiative the user owns, answered by enough partners to show results."""
    opened = open_round(server.app, ["resources"], codes=0)
    for _ in range(responses):
        client = server.app.test_client()
        submit_review(client, answer_all(client, start_by_link(client, opened.token)))
    with server.app.app_context():
        round_ = db.session.get(Round, opened.round_id)
        user = db.session.scalar(select(User).where(User.email == user_email))
        db.session.add(
            Membership(initiative_id=round_.initiative_id, user_id=user.id, is_owner=True)
        )
        db.session.commit()
        return round_.initiative_id, round_.id


@pytest.fixture()
def admin(live_server: LiveServer) -> Iterator[str]:
    """An administrator account, removed afterwards (with its memberships)."""
    with live_server.app.app_context():
        accounts.create_user(ADMIN, TEST_PASSWORD, role=Role.ADMIN)
        db.session.commit()
    yield ADMIN
    with live_server.app.app_context():
        db.session.execute(delete(User).where(User.email == ADMIN))
        db.session.commit()


def test_workspace_pages_have_no_wcag_violation(
    live_server: LiveServer, page: Page, admin: str
) -> None:
    """One pass over every kind of facilitator page, reporting every violation at once."""
    initiative_id, round_id = _round_with_answers(live_server, admin)
    _log_in(page, live_server, email=admin)
    expect(page).not_to_have_url(re.compile(r"/login"))
    reports = []
    for path in WORKSPACE_PAGES:
        response = page.goto(live_server.url + path.format(i=initiative_id, r=round_id))
        assert response is not None and response.status == 200, path
        results = _axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            reports.append(f"{path}\n{results.generate_report()}")
    assert not reports, "\n\n".join(reports)
