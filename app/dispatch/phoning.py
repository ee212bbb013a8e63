"""The HQs a case cannot be handed to through NET119, with the numbers to phone or fax them (SPEC §8)."""
from dataclasses import dataclass

from .. import jurisdictions
from ..models import Headquarters, Jurisdiction
from ..routing import Fix
from .summary import latest_fix


@dataclass(frozen=True)
class PhoneHq:
    """An HQ outside NET119 as the dispatcher reads it: why it is shown, and how to reach it."""

    hq: Headquarters
    municipalities: tuple[str, ...]
    why: str = ""  # for the ones this case's positions point at


def hqs_to_phone(report):
    """``(relevant, others)``: the HQs outside NET119 this case's positions point at, and the rest.

    Relevant, in this order: the one whose area the resident's latest position is in,
    the one of the position the report was sent from, and those whose area the
    accuracy circle of either reaches. Those are the ones a dispatcher under stress
    must not have to look for. Where HQs border each other is not in the data, so
    the others follow in order of their first municipality's JIS code: by
    prefecture, and within it roughly by region, each with the towns it covers,
    which is how a dispatcher finds the place the resident names.
    """
    outside = list(Headquarters.select().where(~Headquarters.uses_service))
    if not outside:
        return [], []
    towns = {}
    for row in (Jurisdiction.select().where(Jurisdiction.hq.in_([hq.id for hq in outside]))
                .order_by(Jurisdiction.municipality_code)):
        towns.setdefault(row.hq_id, []).append(row)
    by_code = {hq.code: hq for hq in outside}
    reasons = {}
    for code, why in _pointed_at(report):
        if code in by_code:
            reasons.setdefault(code, why)

    def entry(hq, why=""):
        return PhoneHq(hq, tuple(t.municipality_name or t.municipality_code for t in towns.get(hq.id, ())), why)

    relevant = [entry(by_code[code], why) for code, why in reasons.items()]
    rest = sorted((hq for hq in outside if hq.code not in reasons),
                  key=lambda hq: (towns[hq.id][0].municipality_code if towns.get(hq.id) else "99999", hq.code))
    return relevant, [entry(hq) for hq in rest]


def _pointed_at(report):
    """``(HQ code, why)`` for every HQ the routing of the case's positions names, most telling first."""
    positions = []
    latest = latest_fix(report)
    if latest is not None:
        positions.append((Fix(latest.data["lat"], latest.data["lon"], latest.data.get("accuracy")),
                          "利用者の最新の位置"))
    if report.lat is not None:
        positions.append((Fix(report.lat, report.lon, report.accuracy_m), "通報の場所"))
    decisions = [(jurisdictions.route_report(report.resident, fix).decision, where) for fix, where in positions]
    return ([(decision.call_hq.code, f"{where}の管轄") for decision, where in decisions if decision.call_hq]
            + [(hq.code, f"{where}の誤差の範囲内") for decision, where in decisions for hq in decision.possible_hqs])
