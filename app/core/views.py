"""Health check and the language switch."""
from flask import abort, current_app, jsonify, redirect, request, url_for
from peewee import PeeweeException

from ..auth import local_path
from ..extensions import db
from ..i18n import COOKIE, COOKIE_MAX_AGE, LANGUAGES
from . import bp


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except PeeweeException:
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True)


@bp.get("/language/<code>")
def choose_language(code):
    """Switch the language and go back to the page the link was on.

    A plain link, not a form: it changes only this device's preference, works
    without JavaScript, and needs no CSRF token on a page opened before login.
    """
    if code not in LANGUAGES:
        abort(404)
    response = redirect(local_path(request.args.get("next", ""), url_for("report.start")))
    response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response

