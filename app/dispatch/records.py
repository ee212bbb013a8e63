"""A case's record: its audit entries joined to the ledger, as one timeline to read, print or export."""
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from ..models import AuditEntry, Headquarters, ReportEvent, Staff, write_transaction
from ..reporting import KIND_LABELS, PLACE_LABELS, STATUS_LABELS

ACTION_LABELS = {
    "opened": "通報を受信", "message": "メッセージ", "question": "質問", "answer": "回答",
    "location": "位置の更新", "position_request": "位置の再取得を依頼", "status": "状況",
    "transfer": "引き継ぎ", "language": "通報者の画面の言語", "system": "システム", "claim": "担当",
    "take_over": "担当を交代", "release": "担当を解除", "export": "記録を出力",
    "message_unsent": "送れなかったメッセージ（引き継ぎ後・利用者には届いていません）",
}


@dataclass(frozen=True)
class Line:
    """One line of a case's timeline."""

    at: datetime
    actor: str
    staff_login: str | None
    staff_name: str | None
    hq_code: str | None
    action: str
    seq: int | None
    body: str
    data: dict

    @property
    def label(self):
        """The action in Japanese."""
        if self.action == "status":
            return f"状況：{STATUS_LABELS.get(self.data.get('status'), ('?',))[0]}"
        return ACTION_LABELS.get(self.action, self.action)


def timeline(report, upto=None, hq=None):
    """Every audit entry of ``report`` in order, with its ledger event's text.

    With ``upto`` (the sequence number of a transfer), only what happened up to
    that transfer: the record the HQ that handed the case away may read, with
    the messages its dispatchers could not send after it (``hq``'s message_unsent).
    """
    entries = (AuditEntry.select(AuditEntry, Staff, Headquarters)
               .join(Staff, JOIN.LEFT_OUTER, on=AuditEntry.staff == Staff.id)
               .switch(AuditEntry).join(Headquarters, JOIN.LEFT_OUTER, on=AuditEntry.hq == Headquarters.id)
               .where(AuditEntry.report == report).order_by(AuditEntry.id))
    events = {e.seq: e for e in ReportEvent.select().where(ReportEvent.report == report)}
    lines = []
    handed = False
    for entry in entries:
        if handed and not (entry.action == "message_unsent" and hq is not None and entry.hq_id == hq.id):
            continue
        event = events.get(entry.event_seq)
        staff, hq = entry.staff, entry.hq
        lines.append(Line(at=entry.created_at, actor=entry.actor,
                          staff_login=staff.login if staff else None, staff_name=staff.name if staff else None,
                          hq_code=hq.code if hq else None, action=entry.action, seq=entry.event_seq,
                          body=event.body if event else entry.detail.get("body", ""),
                          data=event.data if event else entry.detail))
        if upto is not None and entry.event_seq == upto:
            handed = True
    return lines


def note_export(report, staff, fmt):
    """Audit that ``staff`` exported the case's record (it holds personal data)."""
    with write_transaction():
        AuditEntry.record("export", staff=staff, report=report, format=fmt)


def _iso(moment):
    return moment.isoformat() + "Z" if moment else None


def as_json(report, lines, handed_away=False):
    """The case and its timeline as a JSON-ready dict.

    For an HQ that handed the case away, the case's state now (where, status,
    who has it) is left out: that HQ may read only what happened up to the transfer.
    """
    resident = report.resident
    now = {} if handed_away else {
        "location": {"lat": report.lat, "lon": report.lon, "accuracy_m": report.accuracy_m},
        "municipality": {"code": report.municipality_code, "name": report.municipality_name},
        "routing": {"outcome": report.routing_outcome, "note": report.routing_note},
        "receiving_hq": report.receiving_hq.code, "status": report.status,
        "closed_at": _iso(report.closed_at)}
    return {
        "case_number": report.case_number,
        "kind": report.kind, "kind_label": KIND_LABELS[report.kind][0],
        "place_kind": report.place_kind, "place_kind_label": PLACE_LABELS[report.place_kind][0],
        "home_hq": report.home_hq.code, "created_at": _iso(report.created_at), **now,
        "handed_away": handed_away,
        "resident": {"login": resident.login, "name": resident.name, "name_kana": resident.name_kana},
        "timeline": [{"at": _iso(line.at), "actor": line.actor, "staff": line.staff_login,
                      "staff_name": line.staff_name, "hq": line.hq_code, "action": line.action,
                      "label": line.label, "seq": line.seq, "body": line.body, "data": line.data}
                     for line in lines],
    }
