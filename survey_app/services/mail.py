"""Sending e-mail over SMTP, only when MAIL_SERVER is configured."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

TIMEOUT_S = 20


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


def configured(config: Mapping[str, Any]) -> bool:
    """True when a mail server and a sender address are set."""
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_FROM"))


def send(config: Mapping[str, Any], to: str, subject: str, body: str) -> None:
    """Send a plain-text message; raises MailError when the server refuses it."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with _connect(config) as server:
            if config.get("MAIL_USERNAME"):
                server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(str(error)) from error


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """An SMTP connection: implicit TLS (MAIL_USE_SSL), STARTTLS (MAIL_USE_TLS) or plain."""
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587))
    context = ssl.create_default_context()
    if config.get("MAIL_USE_SSL"):
        return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_S, context=context)
    server = smtplib.SMTP(host, port, timeout=TIMEOUT_S)
    if config.get("MAIL_USE_TLS", True):
        try:
            server.starttls(context=context)
        except (OSError, smtplib.SMTPException):
            server.close()
            raise
    return server
