"""The privacy notice (privatlivspolitik) and the accessibility statement."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from survey_app.legal import bp


def _controller() -> dict[str, str]:
    config = current_app.config
    return {
        "controller_name": config.get("CONTROLLER_NAME") or "",
        "controller_email": config.get("CONTROLLER_EMAIL") or "",
    }


@bp.route("/privacy")
def privacy() -> ResponseReturnValue:
    """What is stored about partners who answer, and what is not."""
    return render_template("legal/privacy.html", **_controller())


@bp.route("/accessibility")
def accessibility() -> ResponseReturnValue:
    """The accessibility statement: target, how it is tested, known problems, contact."""
    return render_template("legal/accessibility.html", **_controller())
