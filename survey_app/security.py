"""Password hashing, safe redirects and security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, abort, request

# argon2id with the library's current defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash without raising on a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so unknown accounts are not told apart by timing."""
    verify_password(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site: no scheme, no host, no backslash tricks."""
    if not target:
        return False
    # Browsers treat backslashes as slashes and drop control characters and tabs.
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def add_security_headers(response: Response) -> Response:
    """Add the security headers to every response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    """A file download that no browser or proxy keeps: downloads hold answers or codes."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def reject_nul_bytes() -> None:
    """Answer 400 to a NUL byte in any field or query value: no browser sends one, and
    PostgreSQL refuses to store or even compare text containing it."""
    for source in (request.args, request.form):
        if any("\x00" in value for values in source.listvalues() for value in values):
            abort(400)


def init_security(app: Flask) -> None:
    """Register the header hook and the input guard."""
    app.before_request(reject_nul_bytes)
    app.after_request(add_security_headers)
