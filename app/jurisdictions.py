"""The database side of routing (SPEC §8): app.routing decides, this reads and writes the tables."""
from dataclasses import dataclass

from . import routing
from .models import Headquarters, Jurisdiction, write_transaction


def hq_ref(hq):
    """The routing view of a Headquarters row."""
    return routing.HqRef(code=hq.code, name=hq.name, uses_service=hq.uses_service,
                         phone=hq.phone, fax=hq.fax)


class DatabaseDirectory:
    """The ``routing.Directory`` read from Jurisdiction rows."""

    def hq_for_municipality(self, code):
        jurisdiction = (Jurisdiction.select(Jurisdiction, Headquarters).join(Headquarters)
                        .where(Jurisdiction.municipality_code == code).first())
        return hq_ref(jurisdiction.hq) if jurisdiction else None


@dataclass(frozen=True)
class RouteResult:
    """Who receives a report, and the routing decision behind it."""

    receiving_hq: Headquarters
    decision: routing.Decision

    @property
    def details(self):
        """What the console shows beyond the receiving HQ (kept in the report's first event)."""
        d = self.decision
        return {
            "show_118": d.show_118,
            "call_hq": d.call_hq and {"name": d.call_hq.name, "phone": d.call_hq.phone, "fax": d.call_hq.fax},
            "possible_hqs": [hq.name for hq in d.possible_hqs],
            "explanation_en": d.explanation_en,
        }


def route_report(resident, fix):
    """Route a report of ``resident`` located at ``fix`` (a routing.Fix, or None)."""
    decision = routing.route(fix, hq_ref(resident.hq), DatabaseDirectory())
    receiving = Headquarters.get(Headquarters.code == decision.receiving_hq.code)
    return RouteResult(receiving, decision)


def import_headquarters(rows):
    """Create or update HQs and replace their municipalities, all in one transaction.

    ``rows`` are validated rows (app.hq_csv); a municipality moved from one HQ
    to another moves cleanly because every listed HQ is cleared first.
    """
    names = routing.municipalities()
    with write_transaction():
        saved = []
        for row in rows:
            hq = Headquarters.get_or_none(Headquarters.code == row.code) or Headquarters(code=row.code)
            hq.name, hq.phone, hq.fax, hq.uses_service = row.name, row.phone, row.fax, row.uses_service
            hq.save()
            Jurisdiction.delete().where(Jurisdiction.hq == hq).execute()
            saved.append((hq, row))
        for hq, row in saved:
            Jurisdiction.insert_many([
                {"hq": hq, "municipality_code": code,
                 "municipality_name": names[code].name if code in names else ""}
                for code in row.municipalities]).execute()
    return [hq for hq, _ in saved]


def export_rows():
    """Every HQ with its municipalities, as rows for app.hq_csv.write_csv."""
    from .hq_csv import HqRow

    return [HqRow(code=hq.code, name=hq.name, phone=hq.phone, fax=hq.fax,
                  uses_service=hq.uses_service,
                  municipalities=tuple(j.municipality_code
                                       for j in hq.jurisdictions.order_by(Jurisdiction.municipality_code)))
            for hq in Headquarters.select().order_by(Headquarters.code)]
