"""Case numbers (YYMMDD-NNNN) are handed out one at a time, also to reports opened at the same moment."""
import threading

import pytest

from app.extensions import db
from app.models import Report, Resident
from app.reporting import open_report
from app.routing import Fix

from .conftest import CHITOSE_CITY_HALL

pytestmark = pytest.mark.both_databases

AT_ONCE = 12


def test_reports_opened_at_the_same_moment_get_numbers_in_turn(app):
    with db.connection_context():
        residents = list(Resident.select().where(Resident.status == "active"))
    fix = Fix(float(CHITOSE_CITY_HALL["lat"]), float(CHITOSE_CITY_HALL["lon"]), 15.0)
    barrier = threading.Barrier(AT_ONCE)
    opened, failed = [], []

    def tap(n):
        with app.app_context(), db.connection_context():
            resident = residents[n % len(residents)]
            barrier.wait()
            try:
                report, created = open_report(resident, kind="fire", place_kind="current", fix=fix,
                                              client_id=f"same-moment-{n:04d}")
            except Exception as error:  # noqa: BLE001 (any failure here is the finding)
                failed.append(repr(error))
            else:
                opened.append((report.case_number, created))

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failed == []
    numbers = sorted(number for number, _ in opened)
    prefix = numbers[0].split("-")[0]
    assert numbers == [f"{prefix}-{n:04d}" for n in range(1, AT_ONCE + 1)]
    with db.connection_context():
        assert Report.select().count() == AT_ONCE
