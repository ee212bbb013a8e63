"""Error pages: plain Japanese first, English beneath, and the other ways to call for help."""
import logging

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("送信内容を確認してください。", "Please check what you sent."),
    403: ("この操作は許可されていません。", "You are not allowed to do this."),
    404: ("ページが見つかりません。", "This page does not exist."),
    405: ("この方法では送信できません。", "This cannot be sent this way."),
    413: ("送信内容が大きすぎます。", "What you sent is too large."),
    429: ("短い時間に操作が多すぎます。少し待ってからもう一度お試しください。",
          "Too many attempts in a short time. Please wait a little and try again."),
    500: ("システムで問題が起きました。もう一度お試しください。", "Something went wrong on our side. Please try again."),
    503: ("ただいま利用できません。", "The service is not available right now."),
}
OUTAGE_MESSAGE = ("ただいまシステムにつながりません。ほかの方法で通報してください。",
                  "The system cannot be reached right now. Please call for help another way.")
CSRF_MESSAGE = ("画面の有効期限が切れました。ページを読み込み直してから、もう一度送ってください。",
                "This page has expired. Reload it, then send again.")


def register(app):
    """Install the handlers on ``app``."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    # Cannot connect, locked, disk full: the database is out. Any other database error
    # (a constraint, bad SQL) is a bug, and goes to the unexpected error's page and log.
    app.register_error_handler(OperationalError, handle_database_outage)
    app.register_error_handler(InterfaceError, handle_database_outage)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def render_error(code, ja, en):
    """The error as a page, or as the notice fragment for an htmx request."""
    if request.htmx:
        body = render_template("_partials/_notice.html", notice_ja=ja, notice_en=en, notice_kind="error")
        return make_response(body, code, retarget="#notice", reswap="outerHTML")
    return render_template("errors/error.html", code=code, message_ja=ja, message_en=en), code


# What a person typed, by the field's name, shown back on the expired-page answer so it can be
# copied into the page once reloaded (a chat message, a place described in words). Never a
# password, and nothing a page fills in by itself.
TYPED_FIELDS = {"body": ("送ろうとした内容", "What you were sending"),
                "place_text": ("場所の説明", "The place, as you described it"),
                "reason": ("理由", "Reason")}


def handle_csrf_error(error):
    kept = [(TYPED_FIELDS[name], value) for name, value in request.form.items()
            if name in TYPED_FIELDS and value.strip()] if request.method == "POST" else []
    if request.htmx or not kept:
        return render_error(400, *CSRF_MESSAGE)
    return render_template("errors/error.html", code=400, message_ja=CSRF_MESSAGE[0],
                           message_en=CSRF_MESSAGE[1], kept=kept), 400


def handle_database_outage(error):
    log.exception("database unavailable on %s %s", request.method, request.path)
    return render_error(503, *OUTAGE_MESSAGE)


def handle_http_error(error):
    ja, en = MESSAGES.get(error.code, (error.name, error.name))
    return render_error(error.code or 500, ja, en)


def handle_unexpected_error(error):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())
