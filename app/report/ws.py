"""The resident's chat socket."""
from flask import abort, current_app, request, session

from ..auth import current_resident
from ..chat_socket import ReportFeed, frame_handler, render_refusal
from ..extensions import sock
from ..models import Report
from ..realtime import serve_socket
from ..websockets import guard_handshake, is_websocket_request
from . import bp


@bp.before_request
def check_handshake():
    """Refuse a socket from another origin, without a session or for another's report."""
    if not is_websocket_request():
        return
    guard_handshake()
    resident = current_resident()
    case_number = (request.view_args or {}).get("case_number")
    if resident is None or not Report.select().where(
            (Report.case_number == case_number) & (Report.resident == resident)).exists():
        abort(403)


@sock.route("/reports/<case_number>/ws", bp=bp)
def chat_socket(ws, case_number):
    """Live chat for the resident: resume by sequence number, send, receive."""
    report = Report.get(Report.case_number == case_number)
    feed = ReportFeed(report.id, "resident", sent=request.args.get("after", 0, type=int))
    serve_socket(
        ws, session_id=session.id, channels=[f"report:{report.id}"],
        on_notice=feed.catch_up,
        on_frame=frame_handler(feed, max_chars=current_app.config["MAX_MESSAGE_CHARS"]),
        on_error=render_refusal)
