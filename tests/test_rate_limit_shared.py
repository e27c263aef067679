"""The login limit holds across two app processes that share Redis."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from flask import Flask

from survey_app.extensions import db
from survey_app.models import User
from survey_app.services import accounts
from tests.conftest import TEST_PASSWORD, login, make_app
from tests.services import redis_url_or_skip

WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from tests.conftest import login, make_app
    app = make_app({url!r}, __import__("pathlib").Path({instance!r}),
                   RATELIMIT_STORAGE_URI={redis!r},
                   LOGIN_LIMIT_PER_ACCOUNT="3 per hour", LOGIN_LIMIT_PER_IP="100 per hour")
    codes = [login(app.test_client(), {email!r}, "bad guess 1").status_code
             for _ in range(3)]
    print(",".join(map(str, codes)))
    """
)


def test_login_limit_is_shared_across_processes(database_url: str, tmp_path: Path) -> None:
    redis_url = redis_url_or_skip()
    # A fresh account name per run keeps earlier runs' counters in Redis out of the way.
    email = f"shared-{uuid.uuid4().hex[:12]}@example.org"
    root = str(Path(__file__).resolve().parent.parent)
    app: Flask = make_app(
        database_url,
        tmp_path / "a",
        RATELIMIT_STORAGE_URI=redis_url,
        LOGIN_LIMIT_PER_ACCOUNT="3 per hour",
        LOGIN_LIMIT_PER_IP="100 per hour",
    )
    with app.app_context():
        accounts.create_user(email, TEST_PASSWORD)
        db.session.commit()
    try:
        script = WORKER_SCRIPT.format(
            root=root,
            url=database_url,
            instance=str(tmp_path / "b"),
            redis=redis_url,
            email=email,
        )
        other_process = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            timeout=120,
        )
        assert other_process.stdout.strip().splitlines()[-1] == "200,200,200"
        # This process never failed a login, yet the shared counter refuses the fourth attempt.
        assert login(app.test_client(), email).status_code == 429
    finally:
        with app.app_context():
            db.session.execute(db.delete(User))
            db.session.commit()
