"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session
from sqlalchemy import inspect
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app import database, errors
from survey_app.config import BASE_CONFIG, PROJECT_ROOT, environment_config, resolve_secret_key
from survey_app.extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application.

    `config` overrides the environment; its INSTANCE_PATH, if given, replaces the default
    instance folder (where the SQLite file and generated secrets live).
    """
    config = dict(config or {})
    app = Flask(__name__, instance_path=config.pop("INSTANCE_PATH", None))
    instance_path = Path(app.instance_path)
    app.config.update(BASE_CONFIG)
    app.config.update(environment_config(instance_path))
    app.config.update(config)
    app.config["SECRET_KEY"] = resolve_secret_key(app.config, instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    _init_extensions(app)
    _register_blueprints(app)
    errors.register(app)
    _register_cli(app)
    _announce_setup_url(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        database.reset_after_fork(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")

    from survey_app.security import init_security
    from survey_app.services.accounts import load_user_from_session_id

    login_manager.user_loader(load_user_from_session_id)
    init_security(app)
    app.before_request(_declare_write_intent)
    app.teardown_request(_forget_write_intent)

    @app.context_processor
    def _language_context() -> dict[str, Any]:
        return {"current_language": _select_locale(), "languages": app.config["LANGUAGES"]}


def _declare_write_intent() -> None:
    g.write_intent_token = database.set_write_intent(
        request.method not in {"GET", "HEAD", "OPTIONS"}
    )


def _forget_write_intent(_error: BaseException | None) -> None:
    # A worker thread serves many requests; a GET's "read only" must not outlive it.
    token = g.pop("write_intent_token", None)
    if token is not None:
        database.reset_write_intent(token)


def _select_locale() -> str:
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _register_blueprints(app: Flask) -> None:
    from survey_app.admin import bp as admin_bp
    from survey_app.auth import bp as auth_bp
    from survey_app.legal import bp as legal_bp
    from survey_app.library import bp as library_bp
    from survey_app.main import bp as main_bp
    from survey_app.reports import bp as reports_bp
    from survey_app.survey import bp as survey_bp
    from survey_app.workspace import bp as workspace_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(legal_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(library_bp)
    # Survey forms check their CSRF token themselves, so an expired token keeps the answers.
    csrf.exempt(survey_bp)
    app.register_blueprint(survey_bp)


def _register_cli(app: Flask) -> None:
    from survey_app.admin_cli import backup_command, restore_command, retention_cli
    from survey_app.cli import demo_command, export_command, users_cli
    from survey_app.instrument_cli import instruments_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(instruments_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(export_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from survey_app.reports.cli import report_command

    app.cli.add_command(report_command)


def _announce_setup_url(app: Flask) -> None:
    """While no account exists, print the one-time URL that creates the first admin."""
    if app.testing or app.config.get("APP_ENV") == "testing":
        return
    from survey_app.services.accounts import ensure_setup_token, user_count

    with app.app_context():
        if not inspect(db.engine).has_table("users") or user_count() > 0:
            return
        token = ensure_setup_token(app.instance_path)
    base = app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    message = f"No account exists yet. Create the first administrator at {base}/setup/{token}"
    print(message, flush=True)
