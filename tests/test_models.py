"""The ledger: gap-free sequence numbers under concurrency, idempotent client ids."""
import threading

import pytest

from app.extensions import db
from app.models import Report, ReportEvent, Resident
from app.reporting import open_report
from app.routing import Fix

pytestmark = pytest.mark.both_databases

THREADS = 8
EVENTS_PER_THREAD = 25


@pytest.fixture
def report(app):
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        report, _ = open_report(resident, kind="fire", place_kind="current",
                                client_id="report-under-test", fix=Fix(42.821, 141.6509, 10))
    return report


def test_sequence_numbers_are_gap_free_and_increasing_under_concurrent_writers(report):
    opened_with = report.last_seq  # "opened" and the tree's first question
    seen = {}
    errors = []
    start = threading.Barrier(THREADS)

    def writer(n):
        try:
            start.wait()
            with db.connection_context():
                mine = []
                for i in range(EVENTS_PER_THREAD):
                    event, created = report.append_event(
                        kind="message", actor="resident", body=f"{n}-{i}", client_id=f"client-{n}-{i:04d}")
                    assert created
                    mine.append(event.seq)
                seen[n] = mine
        except Exception as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for mine in seen.values():
        assert mine == sorted(mine) and len(set(mine)) == len(mine)
    with db.connection_context():
        stored = [e.seq for e in ReportEvent.select().where(ReportEvent.report == report)
                  .order_by(ReportEvent.seq)]
        assert stored == list(range(1, THREADS * EVENTS_PER_THREAD + opened_with + 1))
        assert Report.get_by_id(report.id).last_seq == stored[-1]


def test_repeated_client_id_returns_the_stored_event(report):
    with db.connection_context():
        first, created = report.append_event(kind="message", actor="resident", body="火事です",
                                             client_id="same-id-0001")
        again, created_again = report.append_event(kind="message", actor="resident",
                                                   body="火事です", client_id="same-id-0001")
        assert created and not created_again
        assert again.id == first.id and again.seq == first.seq
        assert ReportEvent.select().where(ReportEvent.client_id == "same-id-0001").count() == 1


def test_repeated_report_client_id_returns_the_same_report(app):
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        one, created = open_report(resident, kind="fire", place_kind="home", client_id="tap-twice-01")
        two, created_again = open_report(resident, kind="fire", place_kind="home", client_id="tap-twice-01")
        assert created and not created_again and one.id == two.id
        assert Report.select().count() == 1


def test_case_numbers_count_up_within_a_day(app):
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        first, _ = open_report(resident, kind="fire", place_kind="home", client_id="case-number-1")
        second, _ = open_report(resident, kind="ambulance", place_kind="home", client_id="case-number-2")
        day, n = first.case_number.split("-")
        assert second.case_number == f"{day}-{int(n) + 1:04d}"
