"""Opening a report and writing to its ledger: the domain behind the report views and sockets."""
import json
import math
from datetime import timezone
from peewee import JOIN, Case, IntegrityError, fn

from . import jurisdictions, questions, routing
from .database import GroupCommit, is_sqlite
from .extensions import db
from .forms import MAX_PLACE_TEXT
from .models import (JST, PLACE_KINDS, REPORT_KINDS, REPORT_STATUSES, AuditEntry, FrequentPlace, Headquarters,
                     Report, ReportEvent, Resident, Staff, append_message, append_messages, row_id, utcnow,
                     write_transaction)
from .realtime import CLIENT_ID, hub
from .routing import Fix

KIND_LABELS = {
    "fire": ("火事", "Fire"),
    "ambulance": ("救急", "Ambulance"),
    "other": ("その他", "Other"),
    "unknown": ("種別不明", "Type unknown"),
}
PLACE_LABELS = {
    "home": ("自宅", "Home"),
    "current": ("外出先（現在地）", "Current location"),
    "frequent": ("よく行く場所", "Frequent place"),
}
STATUS_LABELS = {
    "received": ("受付しました", "Received"),
    "dispatched": ("出動しました", "Units dispatched"),
    "en_route": ("到着予定", "Arriving soon"),
    "arrived": ("到着しました", "Arrived"),
    "closed": ("終了", "Closed"),
}
assert set(KIND_LABELS) == set(REPORT_KINDS) and set(STATUS_LABELS) == set(REPORT_STATUSES)
assert set(PLACE_LABELS) == set(PLACE_KINDS)


def _queue_change(item, result):
    """The receiving HQ's queue (its 未読 counts) changes with a resident's message and a
    dispatcher's read marker that moved: ``(hq id, report id)``, else None."""
    report = item["report"]
    if "read" in item:
        changes = item["read"] == "staff" and result
    else:
        changes = item["actor"] == "resident" and result[1]
    return (report.receiving_hq_id, report.id) if changes else None


def _tell_queue(item, result):
    """Tell the receiving HQ's queue sockets (the last item of its report in a batch)."""
    report = item["report"]
    hub.publish(f"hq:{report.receiving_hq_id}", report.id, None if "read" in item else result[0].seq)


# The state of a batch's cases, read inside its transaction (one statement per batch).
# PostgreSQL's locks them as append_messages does, in the same order of id, so that no
# close or transfer commits between this read and the insert, and no two batches deadlock.
CASES_AS_THEY_ARE = ('SELECT "id", "receiving_hq_id", "status" FROM "report" '
                     'WHERE "id" IN (SELECT "value" FROM json_each({p}))')
CASES_AS_THEY_ARE_POSTGRES = ('SELECT "id", "receiving_hq_id", "status" FROM "report" WHERE "id" = ANY({p}) '
                              'ORDER BY "id" FOR UPDATE')


def _refusals(items):
    """``{index: result}`` for the items of a batch the case as it is now refuses (or has already).

    Checked in the transaction that stores them, not before: a close or a transfer
    may commit between a page's read of the case and its write. A message to a
    closed case would say 届きました with nobody left to read it; a dispatcher's
    message to a case handed to another HQ would reach the resident in that HQ's
    name, and it is kept as unsent instead (``_unsent``). A dispatcher's read
    marker there would mark the case read at an HQ where nobody has seen it.
    """
    ids = sorted({item["report"].id for item in items})
    if is_sqlite(db):
        found = db.execute_sql(CASES_AS_THEY_ARE.format(p=db.param), (json.dumps(ids),)).fetchall()
    else:
        found = db.execute_sql(CASES_AS_THEY_ARE_POSTGRES.format(p=db.param), (ids,)).fetchall()
    now = {report_id: (hq_id, status) for report_id, hq_id, status in found}
    refused = {}
    for index, item in enumerate(items):
        report = item["report"]
        if report.id not in now:
            continue  # fails in the insert, as it always did
        hq_id, status = now[report.id]
        if "read" in item:
            if item["read"] == "staff" and hq_id != report.receiving_hq_id:
                refused[index] = False
            continue
        if (status == "closed" or item["staff"] is not None and item["staff"].hq_id != hq_id) and (
                stored := ReportEvent.get_or_none(report=report.id, client_id=item["client_id"])):
            refused[index] = (stored, False)  # a retry of a message stored before: it did arrive
        elif status == "closed":
            refused[index] = InvalidInput("body", "この通報は終了しています。メッセージは送られていません。",
                                          "This report is closed. The message was not sent.")
        elif item["staff"] is not None and item["staff"].hq_id != hq_id:
            refused[index] = _unsent(item, Headquarters.get_by_id(hq_id))
    return refused


def _unsent(item, now_at):
    """A dispatcher's message to a case now at ``now_at``: audited as unsent, and CaseChanged saying where.

    The typed words must not vanish: the HQ's read-only record lists them, and the
    case view of the HQ that has the case shows what the old one was still trying to
    say. Call inside the write transaction.
    """
    AuditEntry.record("message_unsent", staff=item["staff"], report=item["report"], body=item["body"],
                      client_id=item["client_id"], to=now_at.code)
    refusal = handed_away_refusal(now_at)
    refusal.kept_unsent_of = (item["report"].id, now_at.id)
    return refusal


def unsent_channel(report_id):
    """The hub channel on which the case views of the HQ that has the case hear of words kept unsent."""
    return f"unsent:{report_id}"


def _tell_unsent(report_id, hq_id):
    """Tell the case's open views, and the queue of the HQ that has it, that words were kept
    unsent; call after the write committed.

    An audit entry, not a ledger event: the resident's chat and its sequence numbers must
    never carry them. So they have their own channel, as claims do (dispatch/claims.py),
    and the case view reads them again (dispatch/access.py, unsent_messages).
    """
    hub.publish(unsent_channel(report_id), report_id)
    hub.publish(f"hq:{hq_id}", report_id)


def keep_unsent(report, staff, body, client_id, now_at=None, max_chars=1000):
    """A dispatcher's message to a case found already handed to ``now_at`` (else where it is now),
    before any write: kept as ``_unsent``.

    Returns the CaseChanged to show. Words that are no message (blank, not text) are not kept.
    """
    if report is None:
        return None
    now_at = now_at or report.receiving_hq
    body = body.strip()[:max_chars] if isinstance(body, str) else ""
    if body:
        with write_transaction():
            _unsent(dict(staff=staff, report=report, body=body,
                         client_id=client_id if isinstance(client_id, str) else None), now_at)
        _tell_unsent(report.id, now_at.id)
    return handed_away_refusal(now_at, message=bool(body))


def handed_away_refusal(now_at, message=True):
    """The CaseChanged for a dispatcher's write (``message``: one with words, kept unsent) to a case at ``now_at``."""
    gone = (f"この通報はすでに{now_at.name}に引き継がれています。",
            f"This case has already been handed over to {now_at.name}.")
    if not message:
        return CaseChanged("hq", gone[0] + "この操作は行われていません。", gone[1] + " Nothing was done.")
    reach_ja, reach_en = phone_and_fax(now_at)
    return CaseChanged(
        "body", gone[0] + f"このメッセージは利用者に送られていません（送れなかったメッセージとして記録しました）。"
                          f"伝えることがあれば{now_at.name}に電話などで連絡してください（{reach_ja}）。",
        gone[1] + f" This message was not sent to the resident (it is recorded as unsent). "
                  f"If they need to know, contact {now_at.name} by phone ({reach_en}).")


def _store_checked(items):
    """append_messages for what the cases as they are now accept (``_refusals``), the refusals for the rest."""
    refused = _refusals(items)
    if not refused:
        return append_messages(items)
    kept = [item for index, item in enumerate(items) if index not in refused]
    stored = iter(append_messages(kept) if kept else ())
    return [refused[index] if index in refused else next(stored) for index in range(len(items))]


def _store_one_checked(item):
    """append_message for one item, after the same check (the group commit's one-by-one path)."""
    refused = _refusals([item])
    return refused[0] if refused else append_message(item)


# Chat messages and their read markers are the busiest writes: they are committed in
# batches (see GroupCommit). A batch tells each HQ's queue once per report it changed:
# one more notice per report per batch, not per message.
message_writes = GroupCommit(db, write_transaction, _store_checked, _store_one_checked,
                             tell=(_queue_change, _tell_queue))
# The PostgreSQL advisory lock that hands out case numbers one at a time ("N119" in ASCII).
CASE_NUMBER_LOCK = 0x4E313139



class InvalidInput(ValueError):
    """Input that cannot be stored, with the field and the reason in both languages."""

    def __init__(self, field, ja, en):
        super().__init__(f"{field}: {en}")
        self.field, self.ja, self.en = field, ja, en


class CaseChanged(InvalidInput):
    """A console's write found the case closed or handed away since the console read it."""

    # (report id, id of the HQ that has it) when this refusal kept the message as unsent
    # (_unsent): told once the batch committed.
    kept_unsent_of = None


def parse_fix(lat, lon, accuracy=None):
    """A routing.Fix from form text: None when no position was sent, InvalidInput when it is wrong."""
    if not (lat or lon):
        return None
    try:
        fix = Fix(float(lat), float(lon), float(accuracy) if accuracy else None)
    except (TypeError, ValueError):
        raise InvalidInput("location", "位置情報の形式が正しくありません。",
                           "The location is not in a valid format.") from None
    if not all(math.isfinite(v) for v in (fix.lat, fix.lon)) \
            or not (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180):
        raise InvalidInput("location", "位置情報が範囲外です。", "The location is out of range.")
    if (fix.lat, fix.lon) == (0, 0):
        # What broken location stacks send for "no fix" (routing.Fix.is_usable): stored, it
        # would pin the Gulf of Guinea on the console's map and stand in for the real first fix.
        return None
    if fix.accuracy_m is not None and not (math.isfinite(fix.accuracy_m) and fix.accuracy_m >= 0):
        raise InvalidInput("location", "位置の精度が正しくありません。",
                           "The location accuracy is not valid.")
    return fix


def check_client_id(client_id):
    """Raise InvalidInput unless ``client_id`` looks like one our pages generate."""
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InvalidInput("client_id", "送信IDが正しくありません。ページを読み込み直してください。",
                           "The send id is not valid. Please reload the page.")


def _next_case_number():
    """The next case number of the day in Japan: YYMMDD-NNNN, short enough to read aloud.

    Call inside the transaction that creates the report: numbers are handed out one at a time.
    """
    if not is_sqlite(db):
        # SQLite writers already take turns (write_transaction). PostgreSQL's transactions
        # would count at the same moment and pick the same number, and all but one report
        # would fail on the unique index: they wait for each other here instead, until commit.
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (CASE_NUMBER_LOCK,))
    prefix = utcnow().replace(tzinfo=timezone.utc).astimezone(JST).strftime("%y%m%d")
    count = Report.select(fn.COUNT(Report.id)).where(Report.case_number.startswith(prefix)).scalar()
    return f"{prefix}-{count + 1:04d}"


def _place_of(resident, place_kind, fix, place_id, place_text):
    """Where the report is about: (fix or None, label for the dispatcher)."""
    if place_kind == "home":
        home = (Fix(resident.home_lat, resident.home_lon, 0.0)
                if resident.home_lat is not None else None)
        return home, resident.address
    if place_kind == "frequent":
        wanted = row_id(place_id)
        place = FrequentPlace.get_or_none(
            (FrequentPlace.id == wanted) & (FrequentPlace.resident == resident)) if wanted is not None else None
        if place is None:
            raise InvalidInput("place", "登録された場所が見つかりません。", "The registered place was not found.")
        spot = Fix(place.lat, place.lon, 0.0) if place.lat is not None else None
        return spot, f"{place.label}（{place.address}）" if place.address else place.label
    return fix, place_text


def open_report(resident, *, kind, place_kind, client_id, fix=None, place_id=None, place_text="", language="ja"):
    """Create the report for the second tap, or return the one this client id already made.

    ``language`` is the one the resident's pages are in ("ja" or "en"): the console tells the
    dispatcher when it is English (dispatch/case.html). Returns ``(report, created)``. The
    receiving HQ is notified after commit.
    """
    if kind not in REPORT_KINDS:
        raise InvalidInput("kind", "通報の種類を選んでください。", "Choose the type of report.")
    if place_kind not in PLACE_KINDS:
        raise InvalidInput("place", "場所を選んでください。", "Choose the place.")
    check_client_id(client_id)
    place_text = (place_text or "").strip()
    if len(place_text) > MAX_PLACE_TEXT:
        raise InvalidInput("place_text", f"場所の説明は{MAX_PLACE_TEXT}文字以内にしてください。",
                           f"Describe the place in at most {MAX_PLACE_TEXT} characters.")
    existing = Report.get_or_none(resident=resident, client_id=client_id)
    if existing is not None:
        return existing, False
    where, label = _place_of(resident, place_kind, fix, place_id, place_text)
    routed = jurisdictions.route_report(resident, where)
    decision = routed.decision
    try:
        with write_transaction():
            report = Report.create(
                case_number=_next_case_number(), resident=resident, client_id=client_id,
                kind=kind, place_kind=place_kind, place_label=label,
                lat=where.lat if where else None, lon=where.lon if where else None,
                accuracy_m=where.accuracy_m if where else None,
                municipality_code=decision.municipality.code if decision.municipality else "",
                municipality_name=decision.municipality.name if decision.municipality else "",
                receiving_hq=routed.receiving_hq, home_hq=resident.hq,
                routing_outcome=decision.outcome.value, routing_note=decision.explanation)
            report.append_event(kind="opened", actor="system", data={
                "kind": kind, "place_kind": place_kind, "place": label, **routed.details,
                "language": "en" if language == "en" else "ja"})
            if place_text and place_kind != "current":
                # Typed above every place button, then 自宅 or a registered place tapped: the
                # words go to the chat, as the resident's first (the label has no room for them).
                report.append_event(kind="message", actor="resident", body=f"場所の説明：{place_text}")
            _ask_from_tree(report)
    except IntegrityError:
        # The same tap arrived twice at once; the first one created the report.
        existing = Report.get_or_none(resident=resident, client_id=client_id)
        if existing is None:
            raise
        return existing, False
    hub.publish(f"hq:{report.receiving_hq_id}:new", report.id, report.last_seq)
    return report, True


def post_message(report, *, actor, body, client_id, staff=None, max_chars=1000):
    """Store a chat message (idempotent by ``client_id``); returns ``(event, created)``."""
    check_client_id(client_id)
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body:
        raise InvalidInput("body", "メッセージを入力してください。", "Enter a message.")
    if len(body) > max_chars:
        raise InvalidInput("body", f"メッセージは{max_chars}文字以内にしてください。",
                           f"Keep the message to {max_chars} characters or fewer.")
    if not report.is_open:
        raise InvalidInput("body", "この通報は終了しています。", "This report is closed.")
    try:
        event, created = message_writes.run(dict(report=report, actor=actor, body=body, client_id=client_id,
                                                 staff=staff))
    except CaseChanged as refused:
        if refused.kept_unsent_of is not None:
            _tell_unsent(*refused.kept_unsent_of)  # kept in the batch that has committed by now
        raise
    if not created and event.body != body:
        # Not a retry: another message under an id already used. Without JavaScript the
        # quick phrases share one form's id, and a second phrase tapped before the page
        # came back would be dropped as a repeat of the first, with nothing said.
        raise InvalidInput("body", "このメッセージは送られていません。もう一度送ってください。",
                           "This message was not sent. Please send it again.")
    if created:
        hub.publish(f"report:{report.id}", report.id, event.seq, in_hand=(report, event))
    return event, created


def unseen_notice(report, limit_seconds):
    """``(ms, seq)``: milliseconds until the resident is told that no dispatcher has opened
    ``report`` (0: tell them now), and how far a dispatcher must read for it to count as
    opened; None once one has, or when it is closed (SPEC §3.5).

    After a transfer, "opened" means by the HQ that has it now: the old HQ's reading
    stays 既読 on the resident's messages, but nobody at the new HQ may be at the console.
    """
    if report.staff_read_seq or not report.is_open:  # staff_read_seq: the HQ that has it now
        return None
    seq, since = _unseen_since(report)
    waited = (utcnow() - since).total_seconds()
    return max(0, math.ceil((limit_seconds - waited) * 1000)), seq


def _unseen_since(report):
    """``(seq, time)``: the HQ that has ``report`` has opened it once its dispatcher has read
    up to ``seq``, and it has had it since ``time`` (the report's opening, or its last transfer)."""
    if report.routing_outcome == "transferred":
        handed = (ReportEvent.select(ReportEvent.seq, ReportEvent.created_at)
                  .where((ReportEvent.report == report.id) & (ReportEvent.kind == "transfer"))
                  .order_by(ReportEvent.seq.desc()).first())
        if handed is not None:
            return handed.seq, handed.created_at
    return 1, report.created_at


def mark_displayed(report, side, seq):
    """``side`` has displayed the ledger up to ``seq`` (既読); the other side is told.

    Stored with the chat messages' next group commit, so it shares their fsync.
    """
    if message_writes.run(dict(read=side, report=report, seq=seq)):
        # No sequence number: no new event, but every socket must look at the marker,
        # which the report in hand carries (see ReportFeed.catch_up).
        hub.publish(f"report:{report.id}", report.id, in_hand=(report, None))


def _ask_from_tree(report):
    """Ask the report's next tree question, if the last one is answered; call inside a transaction.

    A question the profile answers (age or sex, when the patient is the user) is
    answered at once, and the one after it asked.
    """
    trees_dir = questions.own_trees_dir()
    ledger = list(ReportEvent.select().where(
        (ReportEvent.report == report) & (ReportEvent.kind.in_(("question", "answer"))))
        .order_by(ReportEvent.seq))
    asked = [e for e in ledger if e.kind == "question" and "tree" in e.data]
    answers = {e.data.get("question_seq"): e for e in ledger if e.kind == "answer"}
    choices = [questions.chosen(questions.tree_for(report.receiving_hq, q.data["tree"], trees_dir),
                                q.data.get("node"), answers[q.seq].body) for q in asked if q.seq in answers]
    if not asked:
        tree = questions.tree_for(report.receiving_hq, report.kind, trees_dir)
        node = tree.start if tree else None
    elif asked[-1].seq not in answers:
        return
    elif choices[-1] and choices[-1].then:
        # The one-tap report's first answer names the kind: its tree follows.
        tree = questions.tree_for(report.receiving_hq, choices[-1].then, trees_dir)
        node = tree.start
        if report.kind == "unknown":
            Report.update(kind=tree.kind).where(Report.id == report.id).execute()
            report.kind = tree.kind
    else:
        tree = questions.tree_for(report.receiving_hq, asked[-1].data["tree"], trees_dir)
        node = choices[-1].next if choices[-1] else None
    patient_is_user = any(choice and choice.patient_is_user for choice in choices)
    while node is not None:
        question = tree.questions[node]
        event, _ = report.append_event(kind="question", actor="system", body=question.ja, data={
            "tree": tree.kind, "node": node, "body_en": question.en,
            "choices": [c.ja for c in question.choices], "choices_en": [c.en for c in question.choices]})
        known = patient_is_user and questions.profile_answer(
            question, report.resident, utcnow().replace(tzinfo=timezone.utc).astimezone(JST).date())
        if not known:
            return
        report.append_event(kind="answer", actor="system", body=known, data={
            "question_seq": event.seq, "tree": tree.kind, "node": node, "prefilled": "profile"})
        node = questions.next_node(tree, node, known)


MAX_QUESTION = 200
MAX_CHOICE = 40
MAX_CHOICES = 6


def ask_question(report, *, staff, body, choices=(), client_id):
    """A dispatcher's question with answer chips; はい / いいえ / わからない are always offered."""
    check_client_id(client_id)
    body = body.strip() if isinstance(body, str) else ""
    if not body or len(body) > MAX_QUESTION:
        raise InvalidInput("body", f"質問を{MAX_QUESTION}文字以内で入力してください。",
                           f"Enter the question in at most {MAX_QUESTION} characters.")
    own = [c.strip() for c in choices if isinstance(c, str) and c.strip()]
    if len(own) > MAX_CHOICES or any(len(c) > MAX_CHOICE for c in own):
        raise InvalidInput("choices", f"選択肢は{MAX_CHOICES}個まで、それぞれ{MAX_CHOICE}文字以内にしてください。",
                           f"Give at most {MAX_CHOICES} choices of at most {MAX_CHOICE} characters each.")
    if not report.is_open:
        raise InvalidInput("body", "この通報は終了しています。", "This report is closed.")
    always = dict(questions.ALWAYS_OFFERED)
    offered = list(dict.fromkeys([*own, *always]))
    with write_transaction():
        changed = not is_still_as_read(report)
        if not changed:
            event, created = report.append_event(
                kind="question", actor="staff", staff=staff, body=body, client_id=client_id,
                data={"choices": offered, "choices_en": [always.get(c, "") for c in offered]})
    if changed:
        stored = ReportEvent.get_or_none(report=report.id, client_id=client_id)
        if stored is not None:
            return stored, False  # a retry of a question asked before: it was asked
        now = Report.get_by_id(report.id)
        if now.is_open:  # handed away: the words are kept, as a message's are (_unsent)
            raise keep_unsent(report, staff, body, client_id, now.receiving_hq)
        raise changed_meanwhile(report, "body")
    if created:
        hub.publish(f"report:{report.id}", report.id, event.seq)
    return event, created


def open_questions(report):
    """The questions the resident has not answered yet, oldest first (none once the report is closed)."""
    if not report.is_open:
        return []
    ledger = list(ReportEvent.select().where(
        (ReportEvent.report == report) & (ReportEvent.kind.in_(("question", "answer"))))
        .order_by(ReportEvent.seq))
    answered = {e.data.get("question_seq") for e in ledger if e.kind == "answer"}
    return [e for e in ledger if e.kind == "question" and e.seq not in answered]


def _stored_retry(report, client_id, kind):
    """The ``kind`` event this client id already stored (a retry), or None; InvalidInput if it named another."""
    check_client_id(client_id)
    stored = ReportEvent.get_or_none(report=report, client_id=client_id)
    if stored is not None and stored.kind != kind:
        raise InvalidInput("client_id", "送信IDが正しくありません。ページを読み込み直してください。",
                           "The send id is not valid. Please reload the page.")
    return stored


def _positive_int(value):
    """``value`` (a form string or a JSON number) as an int above 0, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


def answer_question(report, question_seq, choice, client_id):
    """The resident tapped ``choice`` for question ``question_seq``; returns ``(event, created)``.

    Idempotent by ``client_id``: a retry returns the stored answer, even once the
    question is closed. A tree answer asks the tree's next question.
    """
    stored = _stored_retry(report, client_id, "answer")
    if stored is not None:
        return stored, False
    seq = _positive_int(question_seq)
    question = seq and ReportEvent.get_or_none(report=report, seq=seq, kind="question")
    if not question:
        raise InvalidInput("question", "この質問は見つかりません。ページを読み込み直してください。",
                           "This question was not found. Please reload the page.")
    if not isinstance(choice, str) or choice.strip() not in question.data.get("choices", []):
        raise InvalidInput("choice", "答えをボタンから選んでください。", "Choose one of the answer buttons.")
    if not report.is_open:
        raise InvalidInput("choice", "この通報は終了しています。", "This report is closed.")
    tree = {k: question.data[k] for k in ("tree", "node") if k in question.data}
    with write_transaction():
        # The case as it is now, not as the page read it: an answer stored after the close
        # would say 届きました with the case gone from every queue. (PostgreSQL: locked, so
        # that also one answer per question is stored when two taps race.)
        now = Report.select(Report.status).where(Report.id == report.id)
        if (now if is_sqlite(db) else now.for_update()).get().status == "closed":
            raise InvalidInput("choice", "この通報は終了しています。答えは送られていません。",
                               "This report is closed. The answer was not sent.")
        if any(e.data.get("question_seq") == seq for e in ReportEvent.select().where(
                (ReportEvent.report == report) & (ReportEvent.kind == "answer"))):
            raise InvalidInput("choice", "この質問にはもう答えています。", "This question has already been answered.")
        event, created = report.append_event(kind="answer", actor="resident", body=choice.strip(),
                                             client_id=client_id, data={"question_seq": seq, **tree})
        if created and tree:
            _ask_from_tree(report)
    hub.publish(f"report:{report.id}", report.id, report.last_seq)
    if created:  # one more unread answer in the queue (and, for the one-tap report, its kind)
        hub.publish(f"hq:{report.receiving_hq_id}", report.id, report.last_seq)
    return event, created


# A page sends a fix every 30 s and on movement: one this soon after the last, and
# this close to it, is a repeat (two tabs, a reconnect), not news.
MIN_LOCATION_INTERVAL_S = 2
SAME_PLACE_M = 10


def _metres_between(lat1, lon1, lat2, lon2):
    """Distance over the ground (equirectangular: exact enough at these distances)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def record_location(report, fix, client_id):
    """A fresh position of the resident while the report is open (SPEC §3.3); returns ``(event, created)``.

    The dispatcher's map draws the trail from these events' data. A report sent
    before the phone had a fix takes its position from the first one.
    """
    stored = _stored_retry(report, client_id, "location")
    if fix is None:
        raise InvalidInput("location", "位置情報がありません。", "No location was sent.")
    if not report.is_open:
        raise InvalidInput("location", "この通報は終了しています。", "This report is closed.")
    if stored is not None:
        return stored, False
    latest = (ReportEvent.select().where((ReportEvent.report == report) & (ReportEvent.kind == "location"))
              .order_by(ReportEvent.seq.desc()).first())
    if latest and (utcnow() - latest.created_at).total_seconds() < MIN_LOCATION_INTERVAL_S \
            and _metres_between(latest.data["lat"], latest.data["lon"], fix.lat, fix.lon) < SAME_PLACE_M:
        return latest, False
    accuracy = round(fix.accuracy_m) if fix.accuracy_m is not None else None
    body = "現在地の更新" + (f"（誤差 約{accuracy} m）" if accuracy is not None else "")
    first = _first_fix_routing(report, fix) if report.lat is None else None
    if first and first["receiving_hq"] != report.receiving_hq.name:
        body += f"。この位置の管轄は{first['receiving_hq']}です（必要なら転送してください）"
    with write_transaction():
        if first:
            (Report.update(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m,
                           municipality_code=first["municipality_code"],
                           municipality_name=first["municipality_name"])
             .where((Report.id == report.id) & Report.lat.is_null()).execute())
        event, created = report.append_event(
            kind="location", actor="resident", client_id=client_id, body=body,
            data={"lat": fix.lat, "lon": fix.lon, "accuracy": fix.accuracy_m,
                  **({"first_fix": first} if first else {})})
    if created:
        hub.publish(f"report:{report.id}", report.id, event.seq)
    return event, created


def _first_fix_routing(report, fix):
    """Where a report sent without a fix turns out to be, and whose jurisdiction that is.

    The case is not moved automatically: the resident is already chatting with
    the HQ that received it, so its dispatcher decides, with the transfer action,
    whether the HQ named here should take over (SPEC §8).
    """
    decision = jurisdictions.route_report(report.resident, fix).decision
    return {"municipality_code": decision.municipality.code if decision.municipality else "",
            "municipality_name": decision.municipality.name if decision.municipality else "",
            "receiving_hq": decision.receiving_hq.name, "outcome": decision.outcome.value,
            "show_118": decision.show_118}


def routing_notice(report, events):
    """What the resident's chat says about where the report went (SPEC §3.4, §8): ``(ja, en)``, or None.

    Read from the ledger ``events``, latest news first: a transfer names the HQ that
    has the case now; a report sent before the phone had a position says so only until
    the first fix comes (at sea, with 118); else the reason it was routed as it was.
    """
    for event in reversed(events):
        if event.kind == "transfer":
            names = {hq.code: hq.name for hq in Headquarters.select().where(
                Headquarters.code.in_((event.data.get("from"), event.data.get("to"))))}
            source, target = (names.get(event.data.get(side), "") for side in ("from", "to"))
            return (f"{source}から{target}に引き継がれました。",
                    f"Your report was handed over from {source} to {target}.")
        first = event.kind == "location" and event.data.get("first_fix")
        if first:
            place = first.get("municipality_name")
            ja, en = (f"位置情報が届きました（{place}）。", f"Your location has arrived ({place}).") if place \
                else ("位置情報が届きました。", "Your location has arrived.")
            if first.get("show_118", first.get("outcome") == "at_sea"):
                ja += f"海の上なら{routing.CALL_118}へ。"
                en += f" If you are at sea, call {routing.CALL_118_EN}."
            return ja, en
        if event.kind == "opened":
            if report.routing_outcome == "in_area":
                return None
            return report.routing_note, event.data.get("explanation_en") or report.routing_note
    return None


MAX_REASON = 200


def still_as_read(report):
    """The WHERE of a console's write: the case is still open and still at the HQ that read it.

    Checked by the UPDATE itself, not before it: another dispatcher's close or
    transfer may commit between the page's read and this write (on PostgreSQL
    the UPDATE waits for that row lock, then sees the committed row).
    """
    return ((Report.id == report.id) & (Report.status != "closed")
            & (Report.receiving_hq == report.receiving_hq_id))


def is_still_as_read(report):
    """Whether the case is still open and at the HQ that read it; call in the write transaction.

    On PostgreSQL the row stays locked until commit, so no close or transfer comes between.
    """
    query = Report.select(Report.id).where(still_as_read(report))
    return (query if is_sqlite(db) else query.for_update()).first() is not None


def changed_meanwhile(report, field):
    """CaseChanged for a console write that found the case closed or handed away since it was read."""
    now = Report.get_by_id(report.id)
    if not now.is_open:
        return CaseChanged(field, "この通報はすでに終了しています（ほかの操作で先に終了されました）。",
                            "This report has already been closed (by another action a moment ago).")
    return CaseChanged(field, f"この通報はすでに{now.receiving_hq.name}に引き継がれています。",
                        f"This report has already been handed over to {now.receiving_hq.name}.")


def set_status(report, status, staff, reason=""):
    """Push a status stage (SPEC §3.3) to the resident's banner; "closed" ends the case."""
    reason = (reason or "").strip()
    if status not in REPORT_STATUSES:
        raise InvalidInput("status", "状況を選んでください。", "Choose a status.")
    if not report.is_open:
        raise InvalidInput("status", "この通報は終了しています。", "This report is closed.")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"理由は{MAX_REASON}文字以内にしてください。",
                           f"Keep the reason to {MAX_REASON} characters or fewer.")
    now = utcnow()
    with write_transaction():
        if not (Report.update(status=status, closed_at=now if status == "closed" else None)
                .where(still_as_read(report)).execute()):
            raise changed_meanwhile(report, "status")
        event, _ = report.append_event(kind="status", actor="staff", staff=staff, body=reason,
                                       data={"status": status})
    report.status = status
    hub.publish(f"report:{report.id}", report.id, event.seq)
    hub.publish(f"hq:{report.receiving_hq_id}", report.id, event.seq)
    return event


def phone_and_fax(hq):
    """How to reach ``hq`` outside NET119, ``(ja, en)``: its phone and FAX numbers as registered.

    Said in the refusal itself: the dispatcher about to phone should not have to look them up.
    """
    numbers = [(ja, en, number) for ja, en, number in (("電話", "phone", hq.phone), ("FAX", "FAX", hq.fax))
               if number]
    if not numbers:
        return "番号は登録されていません", "no number is registered"
    return ("・".join(f"{ja} {number}" for ja, _, number in numbers),
            ", ".join(f"{en} {number}" for _, en, number in numbers))


def transfer_report(report, to_hq, staff, reason=""):
    """Hand an open case to another HQ that uses the service (SPEC §8).

    The new HQ receives it with its whole ledger and an alarm; the resident is
    told in the chat; the old HQ no longer sees it.
    """
    reason = (reason or "").strip()
    if to_hq is None or to_hq.id == report.receiving_hq_id:
        raise InvalidInput("hq", "引き継ぎ先の消防本部を選んでください。", "Choose the HQ to hand the case to.")
    if not to_hq.uses_service:
        ja, en = phone_and_fax(to_hq)
        raise InvalidInput("hq", f"{to_hq.name}はNET119を使っていません。電話かFAXで連絡してください（{ja}）。",
                           f"{to_hq.name} does not use NET119. Contact them by phone or FAX ({en}).")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"理由は{MAX_REASON}文字以内にしてください。",
                           f"Keep the reason to {MAX_REASON} characters or fewer.")
    if not report.is_open:
        raise InvalidInput("hq", "この通報は終了しています。", "This report is closed.")
    from_hq = report.receiving_hq
    with write_transaction():
        # The new HQ decides who handles it: a claim by the old HQ's staff does not travel. Nor
        # does their reading: at the new HQ the case is 未確認 and all of it unread. What the
        # resident was shown as 既読 stays so (handed_read_seq, see Report.read_seq_of).
        if not (Report.update(receiving_hq=to_hq, routing_outcome="transferred", claimed_by=None, claimed_at=None,
                              routing_note=f"{from_hq.name}から引き継ぎ" + (f"（{reason}）" if reason else ""),
                              handed_read_seq=Case(None, [(Report.staff_read_seq > Report.handed_read_seq,
                                                           Report.staff_read_seq)], Report.handed_read_seq),
                              staff_read_seq=0)
                .where(still_as_read(report)).execute()):
            raise changed_meanwhile(report, "hq")
        event, _ = report.append_event(
            kind="transfer", actor="staff", staff=staff,
            body=f"{from_hq.name}から{to_hq.name}に引き継ぎました。",
            data={"from": from_hq.code, "to": to_hq.code, "reason": reason,
                  # The line in the resident's chat, who may read English (_partials/_event.html).
                  "body_en": f"Your report was handed over from {from_hq.name} to {to_hq.name}."})
    report.receiving_hq, report.claimed_by, report.routing_outcome = to_hq, None, "transferred"
    report.handed_read_seq, report.staff_read_seq = report.read_seq_of("staff"), 0
    for channel in (f"hq:{from_hq.id}", f"hq:{to_hq.id}:new", f"report:{report.id}"):
        hub.publish(channel, report.id, event.seq)
    return event


def own_report(resident, case_number):
    """The resident's report with this case number, or None (whoever else's it may be)."""
    return Report.get_or_none((Report.case_number == case_number) & (Report.resident == resident))


def latest_open_report(resident):
    """The resident's most recent report that is not closed, or None."""
    return (Report.select().where((Report.resident == resident) & (Report.status != "closed"))
            .order_by(Report.created_at.desc()).first())


def open_reports_of(hq):
    """The open reports an HQ is handling, newest first, with their residents and claimers (the console queue).

    In one query: the queue is rendered again on every resident message of any
    of them, for every console of the HQ.
    """
    claimer = Staff.alias()
    return (Report.select(Report, Resident, claimer)
            .join(Resident).switch(Report)
            .join(claimer, JOIN.LEFT_OUTER, on=(Report.claimed_by == claimer.id), attr="claimed_by")
            .where((Report.receiving_hq == hq) & (Report.status != "closed"))
            .order_by(Report.created_at.desc()))
