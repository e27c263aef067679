"""Many partners at once against gunicorn with 4 workers, on SQLite and on PostgreSQL.

Every client is a separate cookie jar speaking plain HTTP to 127.0.0.1 only; every loop
and wait is bounded. Figures are printed and kept in test-artifacts/load-results.md.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import InvitationCode, Round
from survey_app.services import rounds
from tests.load.backup import sqlite_path, sqlite_pragma
from tests.load.client import Client, Reply, answer_pages, review_form, start_by_code, submit_path
from tests.load.crowd import (
    BARRIER_TIMEOUT_S,
    INSTRUMENTS,
    RETRIES,
    Figures,
    Prepared,
    Sent,
    answered_count,
    assert_clean_log,
    assert_complete,
    draft_count,
    in_threads,
    prepare_by_link,
    send,
)
from tests.load.server import Server, scaled, wait_for_workers
from tests.survey_helpers import open_round

pytestmark = pytest.mark.load


def test_many_partners_at_once_are_all_stored(server: Server, report: list[str]) -> None:
    count = scaled(40, 200)
    opened = open_round(server.app, INSTRUMENTS, codes=0)
    offset = server.log_offset()
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT_S)

    def partner() -> tuple[Prepared, Sent]:
        try:
            prepared = prepare_by_link(server, opened)
        except BaseException:
            barrier.abort()
            raise
        barrier.wait()  # everyone presses 'send' together, as at the end of a meeting
        sent = send(prepared)
        if sent.status == 302:
            prepared.client.get(Reply(302, sent.location, "").path())
        return prepared, sent

    started = time.monotonic()
    results = in_threads([partner] * count)
    figures = Figures([p.client for p, _ in results], time.monotonic() - started)
    figures.burst = [sent for _, sent in results]
    figures.errors = sum(1 for sent in figures.burst if sent.status != 302)
    report.append(f"{server.backend}: " + figures.line(server.responses(opened.round_id)))

    assert figures.errors == 0, [sent.status for sent in figures.burst]
    assert all("/thanks" in sent.location for sent in figures.burst)
    assert server.responses(opened.round_id) == count
    assert_complete(server, opened.round_id, answered_count([p for p, _ in results]))
    assert draft_count(server, opened.round_id) == 0
    assert_clean_log(server, offset)


def test_twenty_racers_on_one_code_store_exactly_one(server: Server, report: list[str]) -> None:
    opened = open_round(server.app, INSTRUMENTS, codes=1)
    offset = server.log_offset()
    clients = [Client(server.url) for _ in range(20)]
    entry_barrier = threading.Barrier(len(clients), timeout=BARRIER_TIMEOUT_S)

    def enter(client: Client) -> Callable[[], Reply]:
        def run() -> Reply:
            entry_barrier.wait()
            return start_by_code(client, opened.codes[0].lower())

        return run

    entries = in_threads([enter(client) for client in clients])
    assert [reply.status for reply in entries] == [302] * len(clients)
    # They share one draft: the first answers it, then all twenty press 'send' at once.
    review, answered = answer_pages(clients[0], entries[0].path())
    prepared = [Prepared(c, submit_path(review), review_form(c, review), answered) for c in clients]
    submit_barrier = threading.Barrier(len(clients), timeout=BARRIER_TIMEOUT_S)

    def racer(partner: Prepared) -> Callable[[], Sent]:
        def run() -> Sent:
            submit_barrier.wait()
            return send(partner)

        return run

    sent = in_threads([racer(partner) for partner in prepared])
    statuses = sorted(s.status for s in sent)
    report.append(f"{server.backend}: 20 racers on one code -> statuses {statuses}")
    assert set(statuses) <= {302, 409}, statuses
    assert server.responses(opened.round_id) == 1
    assert_complete(server, opened.round_id, answered)
    with server.app.app_context():
        query = select(InvitationCode).where(InvitationCode.round_id == opened.round_id)
        code = db.session.scalar(query)
        assert code is not None and code.used
    assert_clean_log(server, offset)


def _close(server: Server, round_id: int) -> None:
    with server.app.app_context():
        rounds.close_round(db.session.get(Round, round_id))
        db.session.commit()


def test_closing_a_round_while_partners_submit_stores_nothing_after(
    server: Server, report: list[str]
) -> None:
    count = scaled(24, 80)
    opened = open_round(server.app, INSTRUMENTS, codes=0)
    offset = server.log_offset()
    prepared = in_threads([lambda: prepare_by_link(server, opened)] * count)
    racing, late = prepared[: count // 2], prepared[count // 2 :]
    barrier = threading.Barrier(len(racing) + 1, timeout=BARRIER_TIMEOUT_S)
    closed = threading.Event()
    closed_at: list[float] = []

    def racer(partner: Prepared) -> Callable[[], Sent]:
        def run() -> Sent:
            barrier.wait()
            return send(partner)

        return run

    def latecomer(partner: Prepared) -> Callable[[], Sent]:
        def run() -> Sent:
            assert closed.wait(BARRIER_TIMEOUT_S)
            return send(partner)

        return run

    def closer() -> None:
        barrier.wait()
        time.sleep(0.02)  # some submissions are under way, some not yet
        _close(server, opened.round_id)
        closed_at.append(time.monotonic())
        closed.set()

    tasks: list[Callable[[], Sent | None]] = [closer]
    tasks += [racer(p) for p in racing] + [latecomer(p) for p in late]
    results = in_threads(tasks)
    raced = [s for s in results[1 : len(racing) + 1] if s is not None]
    after = [s for s in results[len(racing) + 1 :] if s is not None]
    stored = server.responses(opened.round_id)
    report.append(
        f"{server.backend}: close during {len(racing)} submits: {stored} stored before the "
        f"close, {sum(s.status == 409 for s in raced)} refused; {len(after)} after: "
        f"{sum(s.status == 409 for s in after)} refused"
    )
    assert [s.status for s in after] == [409] * len(after)
    assert {s.status for s in raced} <= {302, 409}
    # Whatever began after the close commit was refused; what was stored got a 'thanks'.
    assert all(s.status == 409 for s in raced if s.started > closed_at[0])
    assert stored == sum(1 for s in raced if s.status == 302)
    if stored:
        assert_complete(server, opened.round_id, answered_count(prepared))
    assert draft_count(server, opened.round_id) == 0
    assert_clean_log(server, offset)


def _send_untilanswered_count(partner: Prepared, server: Server) -> Sent:
    """Press 'send'; after a broken connection, wait for the workers and press again."""
    for attempt in range(1, RETRIES + 1):
        sent = send(partner)
        if sent.status != 0:
            sent.attempts = attempt
            return sent
        wait_for_workers(server)
        time.sleep(0.2)
    return Sent(0, 0.0, 0.0, RETRIES)


def test_killing_a_worker_mid_submission_leaves_no_partial_response(
    server: Server, report: list[str]
) -> None:
    count = scaled(30, 120)
    opened = open_round(server.app, INSTRUMENTS, codes=0)
    wait_for_workers(server)
    offset = server.log_offset()
    prepared = in_threads([lambda: prepare_by_link(server, opened)] * count)
    barrier = threading.Barrier(count + 1, timeout=BARRIER_TIMEOUT_S)
    victims: list[int] = []

    def partner(p: Prepared) -> Callable[[], Sent]:
        def run() -> Sent:
            barrier.wait()
            return _send_untilanswered_count(p, server)

        return run

    def killer() -> None:
        barrier.wait()
        time.sleep(0.03)  # into the burst of submissions
        victim = random.choice(server.worker_pids())
        os.kill(victim, signal.SIGKILL)
        victims.append(victim)

    results = in_threads([killer] + [partner(p) for p in prepared])
    sent = [s for s in results[1:] if s is not None]
    retried = sum(1 for s in sent if s.attempts > 1)
    report.append(
        f"{server.backend}: worker {victims[0]} killed during {count} submits; "
        f"{retried} partners saw a broken connection and pressed 'send' again"
    )
    assert [s.status for s in sent] == [302] * count
    # A retried submission is either stored now or was stored before: never twice, never half.
    assert server.responses(opened.round_id) == count
    assert_complete(server, opened.round_id, answered_count(prepared))
    assert draft_count(server, opened.round_id) == 0
    if server.backend == "sqlite":
        assert sqlite_pragma(sqlite_path(server.database_url), "integrity_check") == ["ok"]
    wait_for_workers(server)
    assert_clean_log(server, offset, allowed=[f"pid:{victims[0]}", "was sent SIGKILL"])
