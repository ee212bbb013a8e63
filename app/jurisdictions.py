"""The database side of routing (SPEC §8): app.routing decides, this reads and writes the tables."""
from dataclasses import dataclass

from . import routing
from .hq_csv import CsvError, InvalidCsv
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
    to another moves cleanly because every listed HQ is cleared first. A
    municipality (or a ward of it, or its whole city) still held by an HQ that
    is not in the file refuses the whole import with ``hq_csv.InvalidCsv``.
    """
    names = routing.municipalities()
    with write_transaction():
        conflicts = _conflicts_with_other_hqs(rows)
        if conflicts:
            raise InvalidCsv(conflicts)
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


def _conflicts_with_other_hqs(rows):
    """What the file claims that HQs left out of it already cover (checked file-wide by app.hq_csv)."""
    listed = {row.code for row in rows}
    held = {j.municipality_code: j.hq for j in
            Jurisdiction.select(Jurisdiction, Headquarters).join(Headquarters)
            if j.hq.code not in listed}
    wards_of = {}
    for code in held:
        wards_of.setdefault(routing.parent_code(code), []).append(code)
    errors = []
    for row in rows:
        for code in row.municipalities:
            parent = routing.parent_code(code)
            if code in held:
                found = [(code, held[code], "", "")]
            elif parent in held:  # a ward of a city another HQ covers whole
                found = [(code, held[parent], f"（{parent} に含まれます）", f" (inside {parent})")]
            else:  # a city with a ward another HQ covers
                found = [(ward, held[ward], f"（{code} の区）", f" (a ward of {code})")
                         for ward in wards_of.get(code, [])]
            errors += [CsvError(
                row.line,
                f"{ward}{note} は登録済みの「{hq.code}」（{hq.name}）の管轄です。"
                f"移すときは {hq.code} の行も同じファイルに入れてください。",
                f"{ward}{note_en} is already covered by '{hq.code}' ({hq.name}): to move it, "
                f"put {hq.code}'s row in the same file.") for ward, hq, note, note_en in found]
    return tuple(errors)


def export_rows():
    """Every HQ with its municipalities, as rows for app.hq_csv.write_csv."""
    from .hq_csv import HqRow

    return [HqRow(code=hq.code, name=hq.name, phone=hq.phone, fax=hq.fax,
                  uses_service=hq.uses_service,
                  municipalities=tuple(j.municipality_code
                                       for j in hq.jurisdictions.order_by(Jurisdiction.municipality_code)))
            for hq in Headquarters.select().order_by(Headquarters.code)]
