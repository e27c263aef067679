"""Crowds of partners: run clients in threads, send, check what was stored and logged."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Draft
from tests.load.client import (
    CONNECTION_ERRORS,
    Client,
    answer_pages,
    review_form,
    start_by_link,
    submit_path,
)
from tests.load.server import Server
from tests.survey_helpers import OpenRound

T = TypeVar("T")
INSTRUMENTS = ["consensus", "resources"]  # six pages with every item kind
RUN_TIMEOUT_S = 300
BARRIER_TIMEOUT_S = 180
RETRIES = 8


def in_threads(tasks: Sequence[Callable[[], T]], timeout_s: float = RUN_TIMEOUT_S) -> list[T]:
    """Run every task in its own thread; re-raise the first failure, if any."""
    results: list[T | BaseException | None] = [None] * len(tasks)

    def run(index: int) -> None:
        try:
            results[index] = tasks[index]()
        except BaseException as error:  # noqa: BLE001 (handed back to the test)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"clients still running after {timeout_s} s")
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        raise AssertionError(f"{len(failures)} of {len(tasks)} clients failed") from failures[0]
    return results  # type: ignore[return-value]


@dataclass
class Prepared:
    """A partner who has answered everything and sits on the review page."""

    client: Client
    submit: str
    form: list[tuple[str, str]]
    answered: int


@dataclass
class Sent:
    """What happened when a partner pressed 'send'."""

    status: int  # 0: the connection broke
    started: float
    finished: float
    attempts: int = 1
    location: str = ""


@dataclass
class Figures:
    """Throughput of one run."""

    clients: list[Client]
    seconds: float
    errors: int = 0
    burst: list[Sent] = field(default_factory=list)

    def line(self, responses: int) -> str:
        """requests, seconds, rates and latencies, ready to quote."""
        latencies = sorted(value for client in self.clients for value in client.latencies)
        requests = len(latencies)
        p95 = latencies[int(0.95 * (requests - 1))] if latencies else 0.0
        text = (
            f"{len(self.clients)} partners, {requests} requests in {self.seconds:.1f} s = "
            f"{requests / self.seconds:.0f} requests/s, {responses / self.seconds:.1f} "
            f"responses/s, {self.errors} errors; latency median "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        )
        if self.burst:
            span = max(s.finished for s in self.burst) - min(s.started for s in self.burst)
            text += f"; {len(self.burst)} simultaneous submits done in {span:.2f} s"
        return text


def prepare_by_link(server: Server, opened: OpenRound) -> Prepared:
    """A new partner opens the link, answers every page and reaches the review."""
    client = Client(server.url)
    review, answered = answer_pages(client, start_by_link(client, opened.token))
    return Prepared(client, submit_path(review), review_form(client, review), answered)


def send(prepared: Prepared) -> Sent:
    """Press 'send' once; a broken connection is status 0."""
    started = time.monotonic()
    try:
        reply = prepared.client.post(prepared.submit, prepared.form)
    except CONNECTION_ERRORS:
        return Sent(0, started, time.monotonic())
    return Sent(reply.status, started, time.monotonic(), location=reply.location)


def assert_clean_log(server: Server, offset: int, allowed: Sequence[str] = ()) -> None:
    """No lock error, traceback or error line in what the server logged since `offset`."""
    logged = server.log_since(offset)
    assert "database is locked" not in logged
    lines = [
        line
        for line in logged.splitlines()
        if ("Traceback" in line or "[ERROR]" in line) and not any(a in line for a in allowed)
    ]
    assert lines == [], "\n".join(lines[:20])


def assert_complete(server: Server, round_id: int, expected_answers: int) -> None:
    """Every stored response of the round carries every answer its partner gave."""
    counts = server.answers_per_response(round_id)
    assert counts, "no response stored"
    assert set(counts) == {expected_answers}, counts


def answered_count(prepared: Sequence[Prepared]) -> int:
    counts = {partner.answered for partner in prepared}
    assert len(counts) == 1, counts
    return counts.pop()


def draft_count(server: Server, round_id: int) -> int:
    with server.app.app_context():
        query = select(func.count(Draft.id)).where(Draft.round_id == round_id)
        return int(db.session.scalar(query) or 0)
