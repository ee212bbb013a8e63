"""A socket ends with its session: when told (logout, suspension...), and when it finds out by itself."""
import json
import sqlite3
import threading
import time

import pytest
import websocket
from simple_websocket import ConnectionClosed

from app import realtime
from app.extensions import db
from app.models import WebSession
from app.sessions import token_hash

from .conftest import CHITOSE_CITY_HALL, login_as
from .http_session import HttpSession


def start_practice(resident):
    """Open a practice report over HTTP; return its case number."""
    fields = resident.form("/practice?kind=fire")
    status, headers, text = resident.request("/practice/reports", {**fields, "kind": "fire", "place": "current",
                                                                   **CHITOSE_CITY_HALL})
    assert status == 303, text
    return headers["Location"].rsplit("/", 1)[1]


def test_a_practice_socket_closes_when_the_resident_is_suspended_even_while_it_sends(served):
    server = served()
    account = server.account("residents")
    resident = HttpSession(server.base_url).login(account)
    sock = websocket.WebSocket()
    sock.settimeout(0.2)
    case = start_practice(resident)
    sock.connect(server.base_url.replace("http://", "ws://") + f"/practice/reports/{case}/ws",
                 cookie=resident.cookie_header(), origin=server.base_url)
    try:
        with sqlite3.connect(server.database) as ledger:
            (resident_id,), = ledger.execute("SELECT id FROM resident WHERE login = ?", (account["login"],))
        admin = HttpSession(server.base_url).login(server.account("admins"), path="/dispatch/login")
        status, _, _ = admin.request(f"/admin/residents/{resident_id}/status", {
            "csrf_token": admin.form("/admin/residents")["csrf_token"], "status": "suspended"})
        assert status == 303

        # The phone keeps talking, so the socket is never idle long enough to look for itself.
        # recv_frame, not recv_data: that answers a close frame itself, and the server, closing
        # with our last messages unread, may have reset the connection by then (seen in CI).
        deadline, sent = time.monotonic() + 10, 0
        while time.monotonic() < deadline:
            try:
                sock.send(json.dumps({"type": "message", "client_id": f"practice-msg-{sent:04d}", "body": "はい"}))
                sent += 1
                frame = sock.recv_frame()  # the practice dispatcher's answer, or a timeout: send the next
            except websocket.WebSocketTimeoutException:
                continue
            except OSError:
                # Reset after the server closed (its close frame may be lost with the reset): the
                # socket ended; that it was for the session shows in the next handshake, refused.
                break
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                assert int.from_bytes(frame.data[:2], "big") == realtime.CLOSE_SESSION_ENDED
                return
        else:
            raise AssertionError(f"the practice socket stayed open after the suspension ({sent} frames sent)")
        again = websocket.WebSocket()
        with pytest.raises(websocket.WebSocketBadStatusException):
            again.connect(server.base_url.replace("http://", "ws://") + f"/practice/reports/{case}/ws",
                          cookie=resident.cookie_header(), origin=server.base_url)
    finally:
        sock.shutdown()


class BusyPeer:
    """A client that always has another frame ready, so ``receive`` never times out."""

    def __init__(self, on_frame_number):
        self.input_buffer, self.event = [], threading.Event()
        self.connected, self.closed_with, self.frames = True, None, 0
        self.on_frame_number = on_frame_number

    def receive(self, timeout=None):
        if self.frames >= 500:
            raise ConnectionClosed(1000, "the test gave up")
        self.frames += 1
        self.on_frame_number(self.frames)
        time.sleep(0.005)
        return json.dumps({"type": "read", "seq": 0})

    def send(self, text):
        pass

    def close(self, reason=None, message=None):
        self.closed_with, self.connected = reason, False


def test_a_socket_that_keeps_receiving_still_rechecks_its_session(app, monkeypatch):
    client = app.test_client()
    login_as(client, app.accounts["residents"][0])
    session_id = token_hash(client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)

    def end_quietly(frame_number):
        # Ended with no notice this process hears (it expired, or another process without
        # the PostgreSQL bridge ended it): only the socket's own re-check can find out.
        if frame_number == 10:
            with db.connection_context():
                WebSession.delete_by_id(session_id)

    monkeypatch.setattr(realtime, "SESSION_RECHECK_SECONDS", 0.2)
    peer = BusyPeer(end_quietly)
    with app.app_context():
        realtime.serve_socket(peer, session_id=session_id, channels=["practice:0"], on_notice=lambda notices: [],
                              on_frame=lambda raw: [], on_error=lambda error: "")

    assert peer.closed_with == realtime.CLOSE_SESSION_ENDED
    assert peer.frames < 200  # found out within about one re-check interval, not when the client stopped
