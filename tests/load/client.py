"""A plain-HTTP partner for load tests: its own cookie jar, no redirects followed, timings kept.

Only the standard library (urllib), so the load suite needs nothing beyond the app's own
dependencies. Every request has a timeout; every loop over pages is bounded.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT_S = 60
MAX_PAGES = 40
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" id="[^"]+" name="(q_[a-z0-9_-]+)" value="([^"]+)"')
NUMBER = re.compile(r'<input type="text" inputmode="decimal" id="[^"]+" name="(q_[a-z0-9_-]+)"')
TEXTAREA = re.compile(r'<textarea id="[^"]+" name="(q_[a-z0-9_-]+)"')
BACKGROUND_FIELDS = {"q_sector", "q_role"}
COMMENT = "Mere tid til koordinering"
NUMBER_ANSWER = "12"


class _KeepEveryResponse(urllib.request.HTTPErrorProcessor):
    """Hand back 3xx/4xx/5xx responses as they are, instead of following or raising."""

    def http_response(self, request, response):  # noqa: ANN001, ANN201
        return response

    https_response = http_response


@dataclass(frozen=True)
class Reply:
    """What the server answered."""

    status: int
    location: str
    text: str

    def path(self) -> str:
        """The path a redirect points to."""
        return urlsplit(self.location).path


@dataclass
class Client:
    """One partner's browser: cookies of its own, every request counted and timed."""

    base_url: str
    latencies: list[float] = field(default_factory=list)
    jar: CookieJar = field(default_factory=CookieJar)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _KeepEveryResponse()
        )

    def request(self, path: str, form: list[tuple[str, str]] | None = None) -> Reply:
        """GET `path`, or POST `form` to it when given."""
        data = urlencode(form).encode() if form is not None else None
        started = time.perf_counter()
        try:
            with self._opener.open(self.base_url + path, data, REQUEST_TIMEOUT_S) as response:
                reply = Reply(
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode("utf-8", "replace"),
                )
        finally:
            self.latencies.append(time.perf_counter() - started)
        return reply

    def get(self, path: str) -> Reply:
        """GET a page."""
        return self.request(path)

    def post(self, path: str, form: list[tuple[str, str]]) -> Reply:
        """POST a form."""
        return self.request(path, form)


class FlowError(AssertionError):
    """The server answered something a browser would not expect."""


CONNECTION_ERRORS = (
    ConnectionError,
    http.client.HTTPException,
    urllib.error.URLError,
    TimeoutError,
)


def _expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        raise FlowError(f"{what}: expected {status}, got {reply.status}: {reply.text[:300]}")
    return reply


def csrf(html: str) -> str:
    """The CSRF token of a page."""
    match = CSRF.search(html)
    if match is None:
        raise FlowError("no csrf token on the page")
    return match.group(1)


def page_answers(html: str) -> list[tuple[str, str]]:
    """Answers to every question of a survey page: 4 (or the first option), a number, text."""
    options: dict[str, list[str]] = {}
    for name, value in RADIO.findall(html):
        options.setdefault(name, []).append(value)
    answers = [(name, "4" if "4" in values else values[0]) for name, values in options.items()]
    answers += [(name, NUMBER_ANSWER) for name in NUMBER.findall(html)]
    answers += [(name, COMMENT) for name in TEXTAREA.findall(html)]
    return answers


def start_by_link(client: Client, token: str) -> str:
    """Open the intro and press start; returns the first page's path."""
    intro = _expect(client.get(f"/s/{token}"), 200, "intro")
    started = client.post(f"/s/{token}/start", [("csrf_token", csrf(intro.text))])
    return _expect(started, 302, "start").path()


def start_by_code(client: Client, code: str) -> Reply:
    """Enter a code; the reply redirects to the survey when the code is good."""
    form = client.get("/code")
    return client.post("/code", [("csrf_token", csrf(form.text)), ("code", code)])


def answer_pages(client: Client, first_page: str) -> tuple[str, int]:
    """Answer every page from `first_page` on; returns the review path and items answered."""
    path, answered = first_page, 0
    for _ in range(MAX_PAGES):
        if not re.search(r"/page/\d+$", path):
            return path, answered
        html = _expect(client.get(path), 200, f"GET {path}").text
        answers = page_answers(html)
        answered += sum(1 for name, _ in answers if name not in BACKGROUND_FIELDS)
        form = [("csrf_token", csrf(html)), ("action", "next"), *answers]
        path = _expect(client.post(path, form), 302, f"POST {path}").path()
    raise FlowError("the survey never reached the review page")


def review_form(client: Client, review_path: str) -> list[tuple[str, str]]:
    """The hidden fields of the review page's send form."""
    html = _expect(client.get(review_path), 200, "review").text
    key = SUBMISSION_KEY.search(html)
    if key is None:
        raise FlowError("no submission key on the review page")
    return [("csrf_token", csrf(html)), ("submission_key", key.group(1))]


def submit_path(review_path: str) -> str:
    """Where the review page's form posts to."""
    return review_path.rsplit("/review", 1)[0] + "/submit"
