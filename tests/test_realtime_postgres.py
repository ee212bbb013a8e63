"""Fan-out between app processes on PostgreSQL (SPEC §9): LISTEN/NOTIFY behind the same hub."""
import json
import os
import subprocess
import sys
import time

import websocket

from app.realtime import LocalHub, Notice
from app.realtime_postgres import PostgresBridge

from .conftest import ROOT, LiveServer, wait_for
from .http_session import HttpSession
from .test_sockets import receive_until


def test_a_notice_reaches_the_other_process_hub_once_without_the_rows(postgres_database):
    url, _ = postgres_database
    here, there = LocalHub(), LocalHub()
    here.bridge_to(PostgresBridge(url, here))
    there.bridge_to(PostgresBridge(url, there))
    seen_here, seen_there = [], []
    try:
        here.subscribe(["report:7"], seen_here.append)
        there.subscribe(["report:7"], seen_there.append)
        # The listener is up once a notice sent after subscribing arrives (seq 0: warm-up).
        assert wait_for(lambda: (here.publish("report:7", 7, 0), seen_there)[1])
        here.publish("report:7", 7, 42, in_hand=("rows", "in", "hand"))
        assert wait_for(lambda: any(n.seq == 42 for n in seen_there))
    finally:
        here.bridge_to(None)
        there.bridge_to(None)
    # Here: once, with the rows (not again from its own NOTIFY). There: the numbers only.
    assert [n for n in seen_here if n.seq == 42] == [Notice("report:7", 7, 42)]
    assert [n for n in seen_here if n.seq == 42][0].in_hand
    assert [n for n in seen_there if n.seq == 42] == [Notice("report:7", 7, 42)]
    assert [n for n in seen_there if n.seq == 42][0].in_hand == ()



def test_a_listener_that_lost_its_connection_reconnects_and_wakes_every_socket(postgres_database, postgres_server):
    url, _ = postgres_database
    here, there = LocalHub(), LocalHub()
    here.bridge_to(PostgresBridge(url, here))
    there.bridge_to(PostgresBridge(url, there))
    seen = []
    try:
        there.subscribe(["report:7"], seen.append)
        assert wait_for(lambda: (here.publish("report:7", 7, 0), seen)[1])
        seen.clear()
        # What a server restart or a network cut does to the listening connection.
        postgres_server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE query LIKE 'LISTEN%' OR query = 'SELECT 1'")
        # Whatever was sent meanwhile is lost to it: every subscriber is told to read the ledger.
        assert wait_for(lambda: Notice("report:7") in seen)
        assert wait_for(lambda: (here.publish("report:7", 7, 9), any(n.seq == 9 for n in seen))[1])
    finally:
        here.bridge_to(None)
        there.bridge_to(None)


def test_a_notification_that_is_not_ours_to_understand_is_ignored(postgres_database):
    url, _ = postgres_database
    hub = LocalHub()
    bridge = PostgresBridge(url, hub)
    seen = []
    hub.subscribe(["report:1"], seen.append)
    for payload in ("not json", "[1, 2]", '["x", 5, 1, 1]', '["x", "report:1", "1", {}]'):
        bridge._receive(payload)
    assert seen == [Notice("report:1", None, None)]  # only the last names a channel; its numbers are dropped


def test_chat_between_sockets_on_two_server_processes(postgres_database, tmp_path):
    url, accounts = postgres_database
    one = LiveServer(tmp_path / "one", database=url, accounts=accounts).start()
    two = LiveServer(tmp_path / "two", database=url, accounts=accounts).start()
    sockets = []

    def open_socket(server, session, path):
        sock = websocket.WebSocket()
        sockets.append(sock)
        sock.settimeout(10)
        sock.connect(server.base_url.replace("http", "ws", 1) + path, cookie=session.cookie_header(),
                     origin=server.base_url)
        return sock

    try:
        resident = HttpSession(one.base_url).login(one.account("residents"))
        case_number = resident.start_report(kind="fire")
        console = HttpSession(two.base_url).login(two.account("dispatchers"), path="/dispatch/login")
        report_id = console.report_id(case_number)
        phone = open_socket(one, resident, f"/reports/{case_number}/ws")
        desk = open_socket(two, console, f"/dispatch/cases/{report_id}/ws")
        phone.send(json.dumps({"type": "resume", "after": 0}))
        desk.send(json.dumps({"type": "resume", "after": 0}))
        receive_until(desk, "event--")
        phone.send(json.dumps({"type": "message", "client_id": "two-procs-0001", "body": "台所から火が出ています"}))
        assert 'data-client-id="two-procs-0001"' in receive_until(desk, "台所から火が出ています")[-1]
        desk.send(json.dumps({"type": "message", "client_id": "two-procs-0002", "body": "消防車が向かっています"}))
        seq = int(receive_until(phone, "消防車が向かっています")[-1].split('data-seq="')[1].split('"')[0])
        phone.send(json.dumps({"type": "read", "seq": seq}))
        assert f'data-read-seq="{seq}"' in receive_until(desk, 'id="read-marker"')[-1]
    finally:
        for sock in sockets:
            sock.shutdown()
        one.close()
        two.close()


WHILE_A_QUERY_WAITS = """
import json, sys, time
import gevent
from app.database import open_database
database = open_database(sys.argv[1])
gaps, last = [], time.monotonic()
def tick():
    global last
    while True:
        gevent.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now
ticker = gevent.spawn(tick)
gevent.sleep(0.05)
database.execute_sql("SELECT pg_sleep(0.5)")
ticker.kill()
print(json.dumps(max(gaps)))
"""


def test_a_slow_query_does_not_stop_the_other_sockets_under_gevent(postgres_database):
    # As in `net119 serve`: the app package patches first (NET119_GEVENT=1), psycopg2 included.
    url, _ = postgres_database
    env = {**os.environ, "NET119_GEVENT": "1"}
    out = subprocess.run([sys.executable, "-c", "import app\n" + WHILE_A_QUERY_WAITS, url], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # A greenlet ticking every 10 ms kept ticking while the query waited 500 ms for the server.
    assert json.loads(out.stdout) < 0.2
