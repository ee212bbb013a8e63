"""The chat sockets against a live server: two-way delivery, resume, and refusals."""
import json
import re

import pytest
import websocket

from .http_session import HttpSession

SEQ = re.compile(r'data-seq="(\d+)"')


def ws_url(server, path):
    return server.base_url.replace("http://", "ws://") + path


@pytest.fixture
def open_socket(live_server):
    """Open sockets to the live server; every one is closed when the test ends."""
    opened = []

    def open_(session, path, origin=None):
        sock = websocket.WebSocket()
        opened.append(sock)
        sock.settimeout(10)
        sock.connect(ws_url(live_server, path), cookie=session.cookie_header(),
                     origin=origin or live_server.base_url)
        return sock

    yield open_
    for sock in opened:
        sock.shutdown()  # close() skips sockets whose handshake was refused


def receive_until(sock, text):
    """Frames until one containing ``text`` (a frame that never comes fails by timeout)."""
    frames = []
    while True:
        frames.append(sock.recv())
        if text in frames[-1]:
            return frames


@pytest.fixture
def pair(live_server):
    """A resident with a fresh report and a dispatcher of the receiving HQ."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    dispatcher = HttpSession(live_server.base_url).login(live_server.account("dispatchers"),
                                                         path="/dispatch/login")
    case_number = resident.start_report()
    return resident, dispatcher, case_number, dispatcher.report_id(case_number)


def test_messages_flow_both_ways_and_come_back_as_acknowledgements(open_socket, live_server, pair):
    resident, dispatcher, case_number, report_id = pair
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    console = open_socket(dispatcher, f"/dispatch/cases/{report_id}/ws")
    for sock in (mine, console):
        sock.send(json.dumps({"type": "resume", "after": 1}))
    mine.send(json.dumps({"type": "message", "client_id": "resident-msg-0001", "body": "台所から火が出ています"}))
    ack = receive_until(mine, "台所から火が出ています")[-1]
    assert 'data-client-id="resident-msg-0001"' in ack and "届きました" in ack
    assert "台所から火が出ています" in receive_until(console, "台所から火が出ています")[-1]
    console.send(json.dumps({"type": "message", "client_id": "console-msg-0001", "body": "消防車が向かっています"}))
    assert "消防車が向かっています" in receive_until(mine, "消防車が向かっています")[-1]


def test_resume_replays_everything_after_the_given_sequence_in_order(open_socket, live_server, pair):
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "resume", "after": 0}))
    for n in range(3):
        sock.send(json.dumps({"type": "message", "client_id": f"resume-test-{n:04d}", "body": f"m{n}"}))
    receive_until(sock, "m2")
    sock.close()
    again = open_socket(resident, f"/reports/{case_number}/ws")
    # 1 is "opened", 2 the fire tree's first question, 3 to 5 the messages.
    again.send(json.dumps({"type": "resume", "after": 3}))
    frames = receive_until(again, "m2")
    assert [int(SEQ.search(f).group(1)) for f in frames] == [4, 5]
    again.close()


def test_a_repeated_client_id_is_stored_once(open_socket, live_server, pair):
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "resume", "after": 1}))
    frame = {"type": "message", "client_id": "retry-same-0001", "body": "一回だけ"}
    sock.send(json.dumps(frame))
    receive_until(sock, "一回だけ")
    sock.send(json.dumps(frame))
    sock.send(json.dumps({"type": "resume", "after": 0}))
    replay = receive_until(sock, "一回だけ")
    sock.close()
    assert sum("一回だけ" in f for f in replay) == 1


@pytest.mark.parametrize("raw, message", [
    ("not json", "読み取れませんでした"),
    (json.dumps(["a list"]), "受け付けられません"),
    (json.dumps({"type": "delete-everything"}), "受け付けられません"),
    (json.dumps({"type": ["message"]}), "受け付けられません"),
    (json.dumps({"type": {"message": 1}}), "受け付けられません"),
    (json.dumps({"type": "resume", "after": -1}), "再接続の情報が正しくありません"),
    (json.dumps({"type": "resume", "after": 2**64}), "再接続の情報が正しくありません"),
    (json.dumps({"type": "read", "seq": 2**64}), "既読の情報が正しくありません"),
    (json.dumps({"type": "message", "client_id": "bad id!", "body": "x"}), "送信IDが正しくありません"),
    (json.dumps({"type": "message", "client_id": "empty-body-01", "body": "  "}), "メッセージを入力してください"),
    (json.dumps({"type": "message", "client_id": "long-body-001", "body": "あ" * 1001}), "1000文字以内"),
])
def test_bad_frames_get_an_error_frame_and_the_socket_stays_usable(open_socket, live_server, pair, raw, message):
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(raw)
    error = sock.recv()
    assert 'id="notice"' in error and message in error
    sock.send(json.dumps({"type": "resume", "after": 0}))
    assert 'data-seq="1"' in sock.recv()
    sock.close()


def test_an_oversized_frame_closes_the_socket_and_the_server_carries_on(open_socket, live_server, pair):
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send("x" * 20_000)
    # Closed by simple-websocket's max_message_size: a close frame or, if it
    # lands mid-send, a reset; either way this socket is finished.
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionResetError)):
        while True:
            sock.recv()
    again = open_socket(resident, f"/reports/{case_number}/ws")
    again.send(json.dumps({"type": "resume", "after": 0}))
    assert 'data-seq="1"' in again.recv()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_a_handshake_from_another_origin_is_refused(open_socket, live_server, pair, origin):
    resident, _, case_number, _ = pair
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_socket(resident, f"/reports/{case_number}/ws", origin=origin)
    assert refused.value.status_code == 403


def test_a_handshake_without_a_session_is_refused(open_socket, live_server, pair):
    _, _, case_number, _ = pair
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_socket(HttpSession(live_server.base_url), f"/reports/{case_number}/ws")
    assert refused.value.status_code == 403


def test_another_hqs_dispatcher_cannot_open_the_case_socket(open_socket, live_server, pair):
    _, _, _, report_id = pair
    other = HttpSession(live_server.base_url).login(live_server.account("dispatchers", hq="eniwa"),
                                                    path="/dispatch/login")
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_socket(other, f"/dispatch/cases/{report_id}/ws")
    assert refused.value.status_code == 404


def test_logout_closes_an_open_socket_with_the_session_ended_code(open_socket, live_server):
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    case_number = resident.start_report()
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "resume", "after": 0}))
    assert 'data-seq="1"' in sock.recv()
    resident.request("/logout", {"csrf_token": resident.form("/")["csrf_token"]})
    opcode, data = sock.recv_data(control_frame=True)
    while opcode == websocket.ABNF.OPCODE_TEXT:  # the rest of the replay: the first question, its chips
        opcode, data = sock.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 4401


def test_the_handshake_declines_compression_a_browser_offers(open_socket, live_server, pair):
    # Frames are a few hundred bytes; deflate would cost ~100 KiB of zlib state
    # per socket and CPU per frame (app/websockets.py decline_compression).
    resident, _, case_number, _ = pair
    sock = websocket.WebSocket()
    try:
        sock.connect(ws_url(live_server, f"/reports/{case_number}/ws"), cookie=resident.cookie_header(),
                     origin=live_server.base_url,
                     header=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
        assert "sec-websocket-extensions" not in {name.lower() for name in sock.getheaders()}
        sock.send(json.dumps({"type": "resume", "after": 0}))
        assert 'data-seq="1"' in sock.recv()
    finally:
        sock.shutdown()


def test_a_resume_with_nothing_new_is_still_answered(open_socket, live_server, pair):
    """A page asks whether its socket still gets through by resuming (static/js/app.js): with
    nothing new and nothing read yet, the answer is the read marker at 0. Before, no answer
    came, and the page took a live socket for a silent one."""
    resident, dispatcher, case_number, report_id = pair
    for session, path in ((resident, f"/reports/{case_number}/ws"), (dispatcher, f"/dispatch/cases/{report_id}/ws")):
        sock = open_socket(session, path)
        sock.send(json.dumps({"type": "resume", "after": 0}))
        last = int(SEQ.findall("".join(receive_until(sock, 'id="read-marker"')))[-1])
        sock.send(json.dumps({"type": "resume", "after": last}))
        answer = receive_until(sock, 'id="read-marker"')
        assert answer[-1].strip() == '<div id="read-marker" data-read-seq="0" hidden hx-swap-oob="true"></div>'
        assert not SEQ.search("".join(answer))  # nothing replayed


def test_a_position_in_the_sockets_address_too_large_to_be_one_resends_everything(open_socket, live_server, pair):
    """?after= beyond a 64-bit integer reached the database, which refused the number (a
    traceback and a 1011 close, again on every reconnect); it is read as 0."""
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws?after={2**64}")
    sock.send(json.dumps({"type": "read", "seq": 1}))
    sock.send(json.dumps({"type": "message", "client_id": "after-too-large-1", "body": "大きすぎる位置"}))
    frames = receive_until(sock, "大きすぎる位置")
    assert 'data-seq="1"' in frames[0]
