"""The data model (peewee). Names follow the SPEC glossary (§10)."""
import json
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    Model,
    TextField,
)

from . import fixed_sql
from .database import is_sqlite
from .extensions import db

# The largest row id or sequence number either database can hold (a signed 64-bit integer):
# a larger number from outside is no id of ours, and the database would refuse it with an
# error rather than find nothing.
LARGEST_ID = 2**63 - 1


def row_id(text):
    """``text`` from a form as a row id, or None where it cannot be one.

    Not digits (isdecimal: "²" is a digit to isdigit, and int() refuses it), or too large
    for the database; the length comes first, as int() refuses a string of 4,300 digits.
    """
    text = str(text if text is not None else "")
    return int(text) if text.isdecimal() and len(text) <= 19 and int(text) <= LARGEST_ID else None

# Japan has no daylight saving time, so a fixed offset is exact.
JST = timezone(timedelta(hours=9), "JST")

REPORT_KINDS = ("fire", "ambulance", "other", "unknown")
PLACE_KINDS = ("home", "current", "frequent")
# The status banner of SPEC §3.3, in order.
REPORT_STATUSES = ("received", "dispatched", "en_route", "arrived", "closed")
EVENT_KINDS = ("opened", "message", "question", "answer", "location", "status", "transfer", "language", "system")
ACTORS = ("resident", "staff", "system")
STAFF_ROLES = ("dispatcher", "admin")


def utcnow():
    """The current time as a naive UTC datetime (how every timestamp is stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# Writers of this process queue here instead of in SQLite's busy handler, which
# retries by sleeping in growing steps (up to 100 ms): a waiter wakes the moment
# the lock is free. SQLite's busy_timeout still covers other processes.
_sqlite_writers = threading.RLock()


@contextmanager
def write_transaction():
    """A transaction that takes the write lock at once.

    SQLite in WAL mode cannot upgrade a read transaction to a write one if another
    writer committed meanwhile (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not
    retry), so writers start with BEGIN IMMEDIATE, one at a time.
    """
    if not is_sqlite(db):
        with db.atomic():
            yield
        return
    with _sqlite_writers, db.atomic("IMMEDIATE"):
        yield


class JSONField(TextField):
    """A JSON document stored as text (portable between SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Headquarters(BaseModel):
    """A fire headquarters (消防本部)."""

    code = CharField(unique=True, max_length=16)
    name = CharField()
    uses_service = BooleanField(default=True)
    # For relaying a case this HQ cannot take over the service (SPEC §8, 管轄外).
    phone = CharField(default="")
    fax = CharField(default="")
    # Which of the two taps comes first (SPEC §3.1): "kind-first" or "place-first".
    tap_order = CharField(default="kind-first")

    class Meta:
        table_name = "headquarters"


class Jurisdiction(BaseModel):
    """One municipality (5-digit JIS code) covered by an HQ."""

    hq = ForeignKeyField(Headquarters, backref="jurisdictions", on_delete="CASCADE")
    municipality_code = CharField(unique=True, max_length=5)
    municipality_name = CharField(default="")


class Resident(BaseModel):
    """A registered resident (利用者) with the profile of SPEC §7.3."""

    login = CharField(unique=True)
    password_hash = CharField()
    hq = ForeignKeyField(Headquarters, backref="residents")
    status = CharField(default="active")  # pending (until activated) | active | suspended | cancelled
    name = CharField()
    name_kana = CharField(default="")
    birth_date = DateField(null=True)
    sex = CharField(default="")
    address = CharField(default="")
    phone = CharField(default="")
    fax = CharField(default="")
    email = CharField(default="")
    disability_type = CharField(default="")
    disability_proof = CharField(default="")
    medical_history = TextField(default="")
    medication = TextField(default="")
    # [{"name", "relation", "phone", "consent": bool}]
    emergency_contacts = JSONField(default=list)
    home_lat = FloatField(null=True)
    home_lon = FloatField(null=True)
    created_at = DateTimeField(default=utcnow)

    @property
    def is_active(self):
        return self.status == "active"

    def age_on(self, day):
        """Age in whole years on ``day``, or None without a birth date."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class FrequentPlace(BaseModel):
    """A registered frequent place (よく行く場所) of a resident."""

    resident = ForeignKeyField(Resident, backref="places", on_delete="CASCADE")
    label = CharField()
    address = CharField(default="")
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    position = IntegerField(default=0)


class Staff(BaseModel):
    """A dispatcher (指令員) or HQ administrator; belongs to one HQ."""

    login = CharField(unique=True)
    password_hash = CharField()
    name = CharField()
    role = CharField()  # dispatcher | admin
    hq = ForeignKeyField(Headquarters, backref="staff")
    active = BooleanField(default=True)

    @property
    def is_active(self):
        return self.active


class Report(BaseModel):
    """A report (通報), from the second tap until it is closed."""

    case_number = CharField(unique=True)
    resident = ForeignKeyField(Resident, backref="reports")
    # Chosen by the start form; a repeated tap or retry carries the same id and
    # finds the report it already created (SPEC §3.5).
    client_id = CharField(max_length=64)
    kind = CharField()
    place_kind = CharField()
    place_label = CharField(default="")
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    accuracy_m = FloatField(null=True)
    municipality_code = CharField(default="")
    municipality_name = CharField(default="")
    receiving_hq = ForeignKeyField(Headquarters, backref="received_reports")
    home_hq = ForeignKeyField(Headquarters, backref="home_reports")
    routing_outcome = CharField(default="")
    routing_note = TextField(default="")
    status = CharField(default="received")
    last_seq = IntegerField(default=0)
    # 既読: the highest sequence number each side has displayed. Kept on the
    # report, not in the ledger, so that reading never creates events to read.
    resident_read_seq = IntegerField(default=0)
    # The HQ receiving the case; it starts again at 0 when the case is handed to another HQ,
    # whose dispatchers have seen none of it (the queue's 未確認 and 未読 count).
    staff_read_seq = IntegerField(default=0)
    # How far the HQs that handed the case on had read it: what the resident was shown
    # as 既読 stays 既読 (a dispatcher did read it) until the new HQ's reading passes it.
    handed_read_seq = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    # The dispatcher handling the case, shown to every console of the HQ.
    claimed_by = ForeignKeyField(Staff, null=True, backref="claimed_reports")
    claimed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("resident", "client_id"), True),)

    @property
    def is_open(self):
        return self.status != "closed"

    def read_seq_of(self, side):
        """How far ``side`` ("resident" or "staff") has displayed this report's ledger (既読 for the other side).

        For "staff", any HQ's dispatchers: a case handed on keeps what its old HQ read.
        """
        return self.resident_read_seq if side == "resident" else max(self.staff_read_seq, self.handed_read_seq)

    def mark_read(self, side, seq):
        """Record that ``side`` displayed everything up to ``seq``; True if that moved the marker.

        The marker never passes the ledger's end as stored (not as this copy
        last saw it), and never moves back.
        """
        field = Report.resident_read_seq if side == "resident" else Report.staff_read_seq
        # Fixed SQL: the pages send one for nearly every message shown (see fixed_sql).
        moved = fixed_sql.scalar(MARK_READ[field.column_name], seq, seq, self.id, seq, seq)
        if moved is None:
            return False
        setattr(self, field.name, moved)
        self.last_seq = max(self.last_seq, moved)
        return True

    def events_after(self, seq):
        """Events with a sequence number above ``seq``, in order."""
        return (ReportEvent.select()
                .where((ReportEvent.report == self) & (ReportEvent.seq > seq))
                .order_by(ReportEvent.seq))

    def append_event(self, *, kind, actor, body="", data=None, client_id=None, staff=None):
        """Store the next event of this report; return ``(event, created)``.

        The sequence number is taken in the same transaction as the insert, so
        numbers are gap-free and strictly increasing per report whatever the
        concurrency. A ``client_id`` already stored returns that event instead.
        """
        # Every chat message runs this, so it uses fixed SQL (see fixed_sql).
        try:
            with write_transaction():
                if client_id:
                    stored = fixed_sql.first(ReportEvent, EVENT_BY_CLIENT_ID, self.id, client_id)
                    if stored is not None:
                        return stored, False
                now = utcnow()
                # One statement takes the next number; on PostgreSQL its row lock
                # also orders concurrent writers of one report.
                seq = fixed_sql.scalar(NEXT_SEQ, Report.updated_at.db_value(now), self.id)
                event = ReportEvent.create(
                    report=self, seq=seq, kind=kind, actor=actor, body=body,
                    data=data or {}, client_id=client_id, staff=staff, created_at=now)
                # In the same transaction: no ledger event without its audit entry.
                AuditEntry.create(hq=self.receiving_hq_id, report=self, staff=staff, actor=actor,
                                  action=kind, event_seq=seq, created_at=now)
        except IntegrityError:
            # Two first tries of one client id raced (PostgreSQL); the other won.
            stored = client_id and ReportEvent.get_or_none(report=self, client_id=client_id)
            if not stored:
                raise
            return stored, False
        self.last_seq = seq
        return event, True


# CASE rather than MIN: two-argument MIN is SQLite's, LEAST PostgreSQL's.
MARK_READ = {column: ('UPDATE "report" SET "{column}" = CASE WHEN {{p}} < "last_seq" THEN {{p}} ELSE "last_seq" END '
                       'WHERE "id" = {{p}} AND "{column}" < CASE WHEN {{p}} < "last_seq" THEN {{p}} ELSE "last_seq" END '
                       'RETURNING "{column}"').format(column=column)
             for column in ("resident_read_seq", "staff_read_seq")}
NEXT_SEQ = 'UPDATE "report" SET "last_seq" = "last_seq" + 1, "updated_at" = {p} WHERE "id" = {p} RETURNING "last_seq"'
EVENT_BY_CLIENT_ID = 'SELECT * FROM "report_event" WHERE "report_id" = {p} AND "client_id" = {p}'


class ReportEvent(BaseModel):
    """One entry of a report's ledger: a message, answer, location, status change."""

    # Indexed by the unique (report, seq) below; no query reads events by staff (migration 007).
    report = ForeignKeyField(Report, backref="events", on_delete="CASCADE", index=False)
    seq = IntegerField()
    client_id = CharField(null=True, max_length=64)
    kind = CharField()
    actor = CharField()
    staff = ForeignKeyField(Staff, null=True, backref="events", index=False)
    body = TextField(default="")
    data = JSONField(default=dict)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("report", "seq"), True),
            (("report", "client_id"), True),
        )

    @classmethod
    def create(cls, **values):
        """As peewee's create, with the INSERT made once (one per chat message, see fixed_sql)."""
        return fixed_sql.insert(cls, **values)


class AuditEntry(BaseModel):
    """One line of the audit log (SPEC §4): who did what, and when; never changed once written."""

    # Only the case record reads the log, by report: every other index would be
    # one more page written with each chat message (migration 007).
    created_at = DateTimeField(default=utcnow)
    # The HQ in whose name it was done (for a transfer: the HQ that handed the case over).
    hq = ForeignKeyField(Headquarters, null=True, backref="audit_entries", index=False)
    report = ForeignKeyField(Report, null=True, backref="audit_entries")
    staff = ForeignKeyField(Staff, null=True, backref="audit_entries", index=False)
    actor = CharField()  # one of ACTORS
    # A ledger event kind ("message", "status"...), or a console/admin action ("claim", "export"...).
    action = CharField()
    # The ledger event this entry records, when it records one (its text lives there).
    event_seq = IntegerField(null=True)
    detail = JSONField(default=dict)

    @classmethod
    def create(cls, **values):
        """As peewee's create, with the INSERT made once (one per chat message, see fixed_sql)."""
        return fixed_sql.insert(cls, **values)

    @classmethod
    def record(cls, action, *, staff, report=None, **detail):
        """Audit an action of ``staff`` that writes no ledger event; call inside its transaction."""
        return cls.create(hq=staff.hq_id, report=report, staff=staff, actor="staff",
                          action=action, detail=detail)


def append_messages(items):
    """Store chat messages and read markers of any reports at once; a result for each.

    A message's result is ``(event, created)``, a read marker's whether it
    moved (see ``append_message``).

    The group commit's batch form of ``append_event(kind="message")``: the same
    gap-free numbers and an audit entry with every event, in three statements
    per batch instead of several per message (on SQLite every statement and
    commit runs on the server's one event loop, ahead of every socket waiting
    behind it; on PostgreSQL each is a round trip). On PostgreSQL a fourth
    comes first: it locks every report the batch writes, in order of id, so
    two processes' batches take their locks in the same order and cannot
    deadlock.
    The read markers (既読) the pages send for nearly every message shown ride
    along, one UPDATE each, instead of a commit (an fsync) each.
    Messages are dicts of report, actor, body, client_id and staff; one client
    id twice in the batch is stored once. Call inside a write transaction.
    Raises when the batch cannot be stored as a whole, among other reasons
    when a client id is already stored (a retry after a lost acknowledgement):
    the caller then rolls back and stores each item with ``append_message``,
    which looks the client id up first.
    """
    if not is_sqlite(db):
        db.execute_sql(LOCK_REPORTS.format(p=db.param), (sorted({item["report"].id for item in items}),))
    results = [None] * len(items)
    messages = [index for index, item in enumerate(items) if "read" not in item]
    if messages:
        for index, result in zip(messages, _append_together([items[index] for index in messages])):
            results[index] = result
    for index, item in enumerate(items):
        if "read" in item:
            results[index] = item["report"].mark_read(item["read"], item["seq"])
    return results


def append_message(item):
    """One item of ``append_messages`` on its own: its result, or the exception.

    A message is a dict of report, actor, body, client_id and staff, and its
    result ``(event, created)``; a read marker is ``{"read": side, "report":
    report, "seq": seq}``, and its result whether the marker moved.
    """
    try:
        if "read" in item:
            return item["report"].mark_read(item["read"], item["seq"])
        return item["report"].append_event(kind="message", **{k: item[k] for k in (
            "actor", "body", "client_id", "staff")})
    except Exception as error:  # noqa: BLE001 (handed to the message's sender)
        return error


# The batch's statements take their lists as one JSON parameter: one SQL text
# (and one prepared statement) whatever the batch size, each run in one step.
# The parameters: the JSON list of [report id, how many numbers], the time, the list again.
TAKE_SEQS = ('UPDATE "report" SET "last_seq" = "last_seq" + '
             '(SELECT "value" ->> 1 FROM json_each({p}) WHERE "value" ->> 0 = "report"."id"), "updated_at" = {p} '
             'WHERE "id" IN (SELECT "value" ->> 0 FROM json_each({p})) RETURNING "id", "last_seq"')
# PostgreSQL's (json_each is SQLite's): the parameters are the time, then the list.
TAKE_SEQS_POSTGRES = (
    'UPDATE "report" SET "last_seq" = "report"."last_seq" + "taken"."n", "updated_at" = {p} '
    'FROM (SELECT ("value" ->> 0)::integer AS "id", ("value" ->> 1)::integer AS "n" '
    'FROM json_array_elements({p}::json)) AS "taken" WHERE "report"."id" = "taken"."id" '
    'RETURNING "report"."id", "report"."last_seq"')
LOCK_REPORTS = 'SELECT "id" FROM "report" WHERE "id" = ANY({p}) ORDER BY "id" FOR UPDATE'


def _append_together(messages):
    keys = [(message["report"].id, message["client_id"]) for message in messages]
    fresh, first_of, counts = [], {}, {}
    for index, key in enumerate(keys):
        if key not in first_of:
            first_of[key] = index
            fresh.append(index)
            counts[key[0]] = counts.get(key[0], 0) + 1
    now = utcnow()
    taken = json.dumps([[report_id, count] for report_id, count in counts.items()])
    when = Report.updated_at.db_value(now)
    if is_sqlite(db):
        last = dict(db.execute_sql(TAKE_SEQS.format(p=db.param), (taken, when, taken)).fetchall())
    else:
        last = dict(db.execute_sql(TAKE_SEQS_POSTGRES.format(p=db.param), (when, taken)).fetchall())
    next_seq = {report_id: last[report_id] - count + 1 for report_id, count in counts.items()}
    rows = []
    for index in fresh:
        message = messages[index]
        report_id = keys[index][0]
        rows.append(dict(report=message["report"], seq=next_seq[report_id], kind="message",
                         actor=message["actor"], body=message["body"], data={},
                         client_id=message["client_id"], staff=message["staff"], created_at=now))
        next_seq[report_id] += 1
    # A client id stored before fails the unique (report, client_id): the whole batch is redone.
    events = fixed_sql.insert_many(ReportEvent, rows, key=("report", "seq"))
    # In the same transaction: no ledger event without its audit entry.
    fixed_sql.insert_many(AuditEntry, [dict(
        hq=messages[index]["report"].receiving_hq_id, report=event.report_id, staff=event.staff_id,
        actor=event.actor, action="message", event_seq=event.seq, created_at=now)
        for index, event in zip(fresh, events)], key=("report", "event_seq"))
    results = [None] * len(messages)
    for index, event in zip(fresh, events):
        report = messages[index]["report"]
        report.last_seq = max(report.last_seq, event.seq)
        results[index] = (event, True)
    for index, key in enumerate(keys):
        if results[index] is None:
            results[index] = (results[first_of[key]][0], False)
    return results


class CannedPhrase(BaseModel):
    """A canned phrase (定型文) of an HQ, sent from the console in one click or one key."""

    hq = ForeignKeyField(Headquarters, backref="canned_phrases", on_delete="CASCADE")
    text = CharField(max_length=200)
    position = IntegerField(default=0)

    @classmethod
    def of(cls, hq):
        """The HQ's phrases in the order the console numbers them."""
        return cls.select().where(cls.hq == hq).order_by(cls.position, cls.id)


class WebSession(BaseModel):
    """A server-side login session; deleting the row ends it everywhere at once."""

    # SHA-256 of the cookie's token, so a copy of the database cannot log anyone in.
    id = CharField(primary_key=True, max_length=64)
    resident = ForeignKeyField(Resident, null=True, backref="sessions", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, backref="sessions", on_delete="CASCADE")
    data = JSONField(default=dict)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()


APPLICATION_STATUSES = ("draft", "submitted", "approved", "rejected")


class Application(BaseModel):
    """An application for registration (SPEC §7): a draft until submitted, then reviewed by the HQ."""

    hq = ForeignKeyField(Headquarters, backref="applications")
    email = CharField()
    status = CharField(default="draft")
    # The form as last posted, valid or not, so nothing typed is lost.
    draft = JSONField(default=dict)
    reason = TextField(default="")
    resident = ForeignKeyField(Resident, null=True, backref="applications")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True)
    decided_at = DateTimeField(null=True)

    @classmethod
    def for_link(cls, hq, email, issued_at):
        """The application a link issued at ``issued_at`` opens.

        The open (draft or submitted) one, else the one decided after the link was
        issued (an old link shows the decision), else a new draft.
        """
        latest = (cls.select().where((cls.hq == hq) & (cls.email == email))
                  .order_by(cls.id.desc()).first())
        if latest and (latest.status in ("draft", "submitted") or latest.decided_at >= issued_at):
            return latest
        return cls.create(hq=hq, email=email)


class OutgoingMail(BaseModel):
    """A mail in the outbox: stored before any attempt to send it, kept after."""

    # Indexed: an administrator's page finds a resident's activation mail by it.
    to_address = CharField(index=True)
    subject = CharField()
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(default="")
    # Set once the mail is given up; it is never tried again. ``failure`` says why:
    # "refused" (the relay refused it for good: a 5xx reply), "gave_up" (it could not be
    # handed over for mail.outbox.GIVE_UP_AFTER), "bounced" (the relay took it, and a bounce
    # came back later: mail/bounces.py; ``sent_at`` stays) or "withdrawn" (an activation mail to
    # an address an administrator corrected before it went: registration/activation_mail.py);
    # ``last_error`` holds the relay's last words, or the bounce's.
    failed_at = DateTimeField(null=True)
    failure = CharField(max_length=16, default="")


class ActivationToken(BaseModel):
    """A one-time activation link of an approved resident."""

    # SHA-256 of the token in the mailed link: the database alone cannot activate anyone.
    token_hash = CharField(unique=True, max_length=64)
    resident = ForeignKeyField(Resident, backref="activation_tokens", on_delete="CASCADE")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """A failed login, counted against the login ID and against the client address."""

    # An HMAC of what was typed (often a password in the wrong box) or of the address, never the text.
    key = CharField(max_length=64)
    failed_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("key", "failed_at"), False),)


MODELS = [Headquarters, Jurisdiction, Resident, FrequentPlace, Staff, Report,
          ReportEvent, AuditEntry, CannedPhrase, WebSession, Application, OutgoingMail, ActivationToken,
          LoginFailure]
