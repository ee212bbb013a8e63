"""The hub, the wake-up of a waiting socket, read receipts and retried acknowledgements."""
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import websocket
from simple_websocket.ws import Base
from wsproto import ConnectionType

from app import fixed_sql
from app.chat_socket import ReportFeed
from app.extensions import db
from app.models import AuditEntry, Report, ReportEvent, Resident, _sqlite_writers, append_messages, write_transaction
from app.realtime import AccessEnded, LocalHub, Notice, _wake, hub
from app.reporting import mark_displayed, message_writes, open_report, post_message
from app.routing import Fix

from .http_session import HttpSession
from .test_sockets import SEQ, open_socket, pair, receive_until  # noqa: F401  (fixtures)


def test_local_hub_delivers_to_subscribers_of_the_channel_only():
    hub = LocalHub()
    seen = []
    first = hub.subscribe(["report:1", "hq:1"], seen.append)
    other = hub.subscribe(["report:2"], lambda notice: seen.append(("other", notice)))
    hub.publish("report:1", 1, 5)
    hub.publish("hq:1", 1, 5)
    hub.publish("report:3", 3, 1)
    assert seen == [Notice("report:1", 1, 5), Notice("hq:1", 1, 5)]
    first.close()
    other.close()
    hub.publish("report:1", 1, 6)
    assert len(seen) == 2 and hub.subscriber_count() == 0


class _Connected(Base):
    """simple-websocket's socket machinery without a handshake (nothing to shake hands with)."""

    def handshake(self):
        self.connected = True


def test_wake_returns_the_notice_from_a_waiting_receive():
    # Guards the one place we rely on simple-websocket's internals (realtime._wake);
    # every cross-socket delivery in test_sockets.py goes through it too.
    ours, theirs = socket.socketpair()
    ws = _Connected(sock=ours, connection_type=ConnectionType.SERVER)
    try:
        notice = Notice("report:1", 1, 2)
        _wake(ws, notice)
        assert ws.receive(timeout=2) is notice
    finally:
        theirs.close()
        ws.thread.join(2)
        ours.close()


def test_the_other_sides_read_marks_my_messages_read(open_socket, pair):  # noqa: F811
    resident, dispatcher, case_number, report_id = pair
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    console = open_socket(dispatcher, f"/dispatch/cases/{report_id}/ws")
    mine.send(json.dumps({"type": "resume", "after": 1}))
    console.send(json.dumps({"type": "resume", "after": 1}))
    mine.send(json.dumps({"type": "message", "client_id": "read-test-0001", "body": "見えますか"}))
    receive_until(mine, "見えますか")
    receive_until(console, "見えますか")
    console.send(json.dumps({"type": "read", "seq": 2}))
    marker = receive_until(mine, 'id="read-marker"')[-1]
    assert 'data-read-seq="2"' in marker
    # A resumed page gets the same answer without waiting for the next read.
    again = open_socket(resident, f"/reports/{case_number}/ws")
    again.send(json.dumps({"type": "resume", "after": 2}))
    assert 'data-read-seq="2"' in receive_until(again, 'id="read-marker"')[-1]


@pytest.mark.parametrize("seq", [-1, "2", None, True, 1.5])
def test_a_bad_read_frame_is_refused(open_socket, pair, seq):  # noqa: F811
    resident, _, case_number, _ = pair
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "read", "seq": seq}))
    assert "既読の情報が正しくありません" in sock.recv()


def test_a_retry_after_a_lost_acknowledgement_is_acknowledged_and_stored_once(open_socket, pair, live_server):  # noqa: F811
    resident, _, case_number, _ = pair
    first = open_socket(resident, f"/reports/{case_number}/ws")
    first.send(json.dumps({"type": "resume", "after": 1}))
    message = {"type": "message", "client_id": "lost-ack-0001", "body": "届いていますか"}
    first.send(json.dumps(message))
    receive_until(first, "届いていますか")
    first.close()  # the page never saw that acknowledgement; it still has seq 1
    second = open_socket(resident, f"/reports/{case_number}/ws")
    second.send(json.dumps({"type": "resume", "after": 2}))
    second.send(json.dumps(message))
    ack = receive_until(second, "届いていますか")[-1]
    assert 'data-client-id="lost-ack-0001"' in ack
    status, _, log = resident.request(f"/reports/{case_number}/log")
    assert status == 200 and log.count("届いていますか") == 1


def _open_reports(count):
    resident = Resident.get(Resident.login == "chitose-taro")
    return [open_report(resident, kind="fire", place_kind="current", client_id=f"group-commit-{n:04d}",
                        fix=Fix(42.82102, 141.65088, 15))[0] for n in range(count)]


@pytest.mark.both_databases
def test_group_commit_numbers_messages_without_gaps_and_stores_each_client_id_once(app):
    # Many sockets' threads at once, every message sent twice (a retry): the
    # batches must keep each report's numbers gap-free, store one event and one
    # audit entry per client id, and give the retry the stored event.
    with db.connection_context():
        reports = _open_reports(3)
    failures = []

    def sender(n):
        with db.connection_context():
            report = Report.get_by_id(reports[n % 3].id)
            for m in range(40):
                client_id = f"gc-{n:02d}-{m:04d}"
                first, created = post_message(report, actor="resident", body=f"m{m}", client_id=client_id)
                again, created_again = post_message(report, actor="resident", body=f"m{m}", client_id=client_id)
                if not created or created_again or again.seq != first.seq or again.id != first.id:
                    failures.append(client_id)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(sender, range(12)))
    assert failures == []
    with db.connection_context():
        for report in reports:
            events = list(ReportEvent.select().where(ReportEvent.report == report).order_by(ReportEvent.seq))
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert Report.get_by_id(report.id).last_seq == len(events)
            messages = [e for e in events if e.kind == "message"]
            assert len(messages) == 4 * 40 and len({e.client_id for e in messages}) == len(messages)
            audited = {a.event_seq for a in AuditEntry.select().where(AuditEntry.report == report)}
            assert audited == {e.seq for e in events}


@pytest.mark.both_databases
def test_a_batch_with_a_message_that_cannot_be_stored_fails_only_that_message(app):
    with db.connection_context():
        report, other = _open_reports(2)
        before = report.last_seq
        results = message_writes.commit([
            dict(report=report, actor="resident", body="一つ目", client_id="batch-ok-0001", staff=None),
            dict(report=other, actor="resident", body=None, client_id="batch-bad-001", staff=None),
            dict(report=report, actor="resident", body="二つ目", client_id="batch-ok-0002", staff=None),
            dict(report=report, actor="resident", body="一つ目", client_id="batch-ok-0001", staff=None),
        ])
        assert isinstance(results[1], Exception)
        (first, made_first), (second, made_second), (repeat, made_repeat) = results[0], results[2], results[3]
        assert (made_first, made_second, made_repeat) == (True, True, False)
        assert (first.seq, second.seq, repeat.seq) == (before + 1, before + 2, before + 1)
        assert Report.get_by_id(other.id).last_seq == other.last_seq
        assert not ReportEvent.select().where(ReportEvent.client_id == "batch-bad-001").exists()


def _batch_message(report, client_id):
    """A resident's message as the group commit takes it."""
    return dict(report=report, actor="resident", body=f"本文 {client_id}", client_id=client_id, staff=None)


@pytest.mark.both_databases
def test_batches_that_write_the_same_reports_in_opposite_orders_never_deadlock(app):
    # Two app processes' group commits (two threads here, each with its own
    # connection) store batches that touch the same two reports in opposite
    # orders: a message for one, then a read marker for the other. On PostgreSQL,
    # rows locked in the order the statements reach them would deadlock; a batch
    # locks its reports in order of id first.
    with db.connection_context():
        ids = [report.id for report in _open_reports(2)]
    failures = []

    def batches(order, tag):
        with db.connection_context():
            first, second = (Report.get_by_id(ids[n]) for n in order)
            for n in range(25):
                try:
                    with write_transaction():
                        append_messages([_batch_message(first, f"{tag}-{n:03d}"),
                                         dict(read="staff", report=second, seq=n)])
                except Exception as error:  # noqa: BLE001 (what the test is looking for)
                    failures.append(repr(error))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(batches, [(0, 1), (1, 0)], ["ab", "ba"]))
    assert failures == []
    with db.connection_context():
        for report_id in ids:
            events = list(ReportEvent.select().where(ReportEvent.report == report_id).order_by(ReportEvent.seq))
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert len([e for e in events if e.kind == "message"]) == 25


@pytest.mark.both_databases
def test_a_retry_in_a_batch_gets_its_stored_event_and_the_rest_is_stored_once_without_gaps(app):
    def message(n):
        return _batch_message(report, f"batch-retry-{n:03d}")

    with db.connection_context():
        (report,) = _open_reports(1)
        before = report.last_seq
        [(stored, _)] = message_writes.commit([message(1)])
        results = message_writes.commit([message(2), message(1), message(3), message(2)])
        ledger = list(ReportEvent.select().where(ReportEvent.report == report).order_by(ReportEvent.seq))
    assert [(event.seq, created) for event, created in results] == [
        (before + 2, True), (before + 1, False), (before + 3, True), (before + 2, False)]
    assert results[1][0].id == stored.id
    assert [e.seq for e in ledger] == list(range(1, before + 4))
    assert [e.client_id for e in ledger[before:]] == [f"batch-retry-{n:03d}" for n in (1, 2, 3)]


@pytest.mark.both_databases
def test_read_markers_share_the_batch_of_messages_and_never_pass_the_ledger_or_go_back(app):
    def message(n):
        return _batch_message(report, f"batch-read-{n:03d}")

    with db.connection_context():
        (report,) = _open_reports(1)
        before = report.last_seq
        # Ahead of the ledger (the page cannot have shown it): clipped to what is stored.
        results = message_writes.commit([message(1), dict(read="staff", report=report, seq=before + 5)])
        stored = Report.get_by_id(report.id)
        back = message_writes.commit([dict(read="staff", report=report, seq=before)])
        # With a retry in the batch it is stored item by item: the marker too.
        retried = message_writes.commit([message(1), dict(read="resident", report=report, seq=before + 1)])
        after = Report.get_by_id(report.id)
    assert results[0][1] is True and results[1] is True
    assert stored.staff_read_seq == before + 1 == report.staff_read_seq
    assert back == [False]
    assert retried[0][1] is False and retried[1] is True and after.resident_read_seq == before + 1


@pytest.mark.both_databases
def test_a_read_marker_in_hand_is_rendered_as_the_ledger_would_give_it_without_reading_it(app, monkeypatch):
    with app.test_request_context(), db.connection_context():
        (report,) = _open_reports(1)
        post_message(report, actor="resident", body="見えますか", client_id="read-in-hand-01")
        live = ReportFeed(report.id, "resident", sent=report.last_seq)
        notices = []
        subscription = hub.subscribe([f"report:{report.id}"], _published_to(notices))
        try:
            mark_displayed(Report.get_by_id(report.id), "staff", report.last_seq)
        finally:
            subscription.close()
        from_ledger = ReportFeed(report.id, "resident", sent=report.last_seq).pending()

        def no_reading(*args):
            raise AssertionError("the ledger was read")

        monkeypatch.setattr(fixed_sql, "with_children", no_reading)
        frames = live.catch_up(notices)
    assert [n.seq for n in notices] == [None] and notices[0].in_hand
    assert frames == from_ledger and f'data-read-seq="{report.last_seq}"' in frames[0]


def _published_to(notices):
    """A subscriber keeping what publishers sent, not the PostgreSQL listener's wake-ups (no report)."""
    def keep(notice):
        if notice.report_id is not None:
            notices.append(notice)
    return keep


def _two_messages_and_their_notices(report):
    notices = []
    subscription = hub.subscribe([f"report:{report.id}"], _published_to(notices))
    try:
        for n in (1, 2):
            post_message(report, actor="resident", body=f"台所から火が出ています {n}", client_id=f"in-hand-000{n}")
    finally:
        subscription.close()
    return notices


@pytest.mark.both_databases
def test_messages_in_hand_are_rendered_as_the_ledger_would_give_them_without_reading_it(app, monkeypatch):
    with app.test_request_context(), db.connection_context():
        (report,) = _open_reports(1)
        before = report.last_seq
        live = ReportFeed(report.id, "staff", sent=before)
        notices = _two_messages_and_their_notices(report)
        from_ledger = ReportFeed(report.id, "staff", sent=before).pending()

        def no_reading(*args):
            raise AssertionError("the ledger was read")

        monkeypatch.setattr(fixed_sql, "with_children", no_reading)
        frames = live.catch_up(notices)
    assert [n.seq for n in notices] == [before + 1, before + 2] and all(n.in_hand for n in notices)
    assert frames == from_ledger and len(frames) == 2 and live.sent == before + 2


@pytest.mark.both_databases
def test_a_gap_or_a_notice_without_rows_is_read_from_the_ledger(app):
    with app.test_request_context(), db.connection_context():
        (report,) = _open_reports(1)
        before = report.last_seq
        notices = _two_messages_and_their_notices(report)
        after_gap = ReportFeed(report.id, "staff", sent=before).catch_up(notices[1:])
        bare = ReportFeed(report.id, "staff", sent=before).catch_up([Notice(n.channel, n.report_id, n.seq)
                                                                        for n in notices])
    assert [SEQ.findall(frame) for frame in after_gap] == [[str(before + 1)], [str(before + 2)]]
    assert bare == after_gap


def test_messages_in_hand_still_pass_the_access_check(app):
    def handed_away(report):
        raise AccessEnded()

    with app.test_request_context(), db.connection_context():
        (report,) = _open_reports(1)
        feed = ReportFeed(report.id, "staff", sent=report.last_seq, check=handed_away)
        notices = _two_messages_and_their_notices(report)
        with pytest.raises(AccessEnded):
            feed.catch_up(notices)


def test_the_queue_hears_of_a_residents_messages_once_per_report_per_batch(app, monkeypatch):
    """Resident messages tell the receiving HQ's queue (its 未読 count): one notice per report in a
    batch, however many messages it holds, with the report's last sequence number."""
    with db.connection_context():
        first, second = _open_reports(2)
    hq_id = first.receiving_hq_id
    notices = []
    subscription = hub.subscribe([f"hq:{hq_id}", f"report:{first.id}", f"report:{second.id}"], notices.append)

    def send(report, n):
        with db.connection_context():
            post_message(Report.get_by_id(report.id), actor="resident", body=f"m{n}", client_id=f"hq-batch-{n:04d}")

    # Known when the group commit has taken the first message and is waiting for the lock: an
    # empty queue alone could be seen before that message was even queued (it was, in CI).
    waiting_for_lock = threading.Event()
    transaction = message_writes._transaction
    monkeypatch.setattr(message_writes, "_transaction", lambda: (waiting_for_lock.set(), transaction())[1])
    try:
        with ThreadPoolExecutor(8) as pool, _sqlite_writers:
            # The group commit takes one message, then waits for the write lock held here
            # while seven more queue behind it: they are stored as one batch.
            pool.submit(send, first, 0)
            assert waiting_for_lock.wait(10)
            jobs = [pool.submit(send, first, n) for n in range(1, 6)] + [pool.submit(send, second, n)
                                                                         for n in range(6, 8)]
            _wait_for(lambda: len(message_writes._queue) == 7)
        for job in jobs:
            job.result()
    finally:
        subscription.close()
    told = [(n.report_id, n.seq) for n in notices if n.channel == f"hq:{hq_id}"]
    with db.connection_context():
        last = {r.id: Report.get_by_id(r.id).last_seq for r in (first, second)}
    assert sorted(told) == sorted([(first.id, first.last_seq + 1), (first.id, last[first.id]),
                                   (second.id, last[second.id])])
    assert len([n for n in notices if n.channel.startswith("report:")]) == 8


def test_the_queue_hears_when_a_dispatcher_has_read_a_case_but_not_when_the_resident_has(app):
    with db.connection_context():
        (report,) = _open_reports(1)
        post_message(report, actor="resident", body="見えますか", client_id="hq-read-0001")
        post_message(report, actor="staff", body="見えます", client_id="hq-read-0002")
        notices = []
        subscription = hub.subscribe([f"hq:{report.receiving_hq_id}"], notices.append)
        try:
            mark_displayed(Report.get_by_id(report.id), "resident", report.last_seq)
            assert notices == []
            mark_displayed(Report.get_by_id(report.id), "staff", report.last_seq)
            assert [(n.report_id, n.seq) for n in notices] == [(report.id, None)]
            mark_displayed(Report.get_by_id(report.id), "staff", report.last_seq)  # nothing moved
            assert len(notices) == 1
        finally:
            subscription.close()


def _wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
