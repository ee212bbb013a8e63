"""The practice store: its own SQLite file, its own models, its own hub.

Nothing here can reach a real report: the models are bound to ``practice_db``
(not ``app.extensions.db``) and live notices go to ``practice_hub`` (not
``app.realtime.hub``), so no dispatcher queue, mail or statistic of real cases
ever hears of a practice session. tests/test_practice_isolation.py checks the imports.
"""
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from flask_babel import lazy_gettext as _
from peewee import (BooleanField, CharField, DatabaseProxy, DateTimeField, ForeignKeyField,
                    IntegerField, Model, TextField, fn)

from ..database import open_database
from ..realtime import LocalHub
from . import words

practice_db = DatabaseProxy()
practice_hub = LocalHub()
# The database whose tables exist; a reference, not an id, so a new database never passes for it.
_tables_ready_in = None
_tables_lock = threading.Lock()

# Shown where a real chat names the receiving HQ, in the page's language.
PRACTICE_DISPATCHER = SimpleNamespace(name=_("練習用の自動指令員"))


def utcnow():
    """Naive UTC now, as the real ledger stores times (the jst filter expects it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def practice_database_url(app):
    """PRACTICE_DATABASE_URL, or practice.sqlite3 next to the real SQLite file (instance/ by default)."""
    url = app.config.get("PRACTICE_DATABASE_URL")
    if url:
        return url
    main = app.config["DATABASE_URL"]
    folder = Path(main.removeprefix("sqlite:///")).parent if main.startswith("sqlite:///") \
        else Path(app.instance_path)
    return f"sqlite:///{folder / 'practice.sqlite3'}"


def init_app(app):
    """Bind the practice models to the app's practice database; tables come at first use."""
    practice_db.initialize(open_database(practice_database_url(app)))

    @app.teardown_request
    def close_practice_database(exc):
        if not practice_db.is_closed():
            practice_db.close()


def ensure_tables():
    """Create the practice tables once per database (a throwaway store needs no migrations)."""
    global _tables_ready_in
    if _tables_ready_in is practice_db.obj:
        return
    with _tables_lock:
        if _tables_ready_in is not practice_db.obj:
            practice_db.create_tables([PracticeSession, PracticeEvent], safe=True)
            _tables_ready_in = practice_db.obj


class JSONField(TextField):
    def db_value(self, value):
        return json.dumps(value, ensure_ascii=False)

    def python_value(self, value):
        return json.loads(value) if value is not None else None


class PracticeModel(Model):
    class Meta:
        database = practice_db
        legacy_table_names = False


class PracticeSession(PracticeModel):
    """One rehearsed report; shaped like a real one so the chat templates can show it."""

    case_number = CharField(unique=True)
    # Plain ids, not foreign keys: the residents live in the other database.
    resident_id = IntegerField(index=True)
    hq_id = IntegerField(index=True)
    client_id = CharField(max_length=64)
    kind = CharField()
    place_kind = CharField()
    place_label = CharField(default="")
    has_fix = BooleanField(default=False)
    status = CharField(default="received")
    last_seq = IntegerField(default=0)
    staff_read_seq = IntegerField(default=0)
    resident_read_seq = IntegerField(default=0)
    # The automatic dispatcher's progress: tree, question index, answers, what was said.
    coach = JSONField(default=dict)
    created_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("resident_id", "client_id"), True),)

    routing_outcome = "in_area"
    receiving_hq = PRACTICE_DISPATCHER
    # Frames rendered for a socket know a practice from its report (report/_closed.html).
    is_practice = True

    @property
    def is_open(self):
        return self.finished_at is None

    def read_seq_of(self, side):
        """How far ``side`` ("resident" or "staff") has displayed the chat."""
        return self.staff_read_seq if side == "staff" else self.resident_read_seq

    def events_after(self, seq):
        """The events after ``seq``, in order."""
        return (PracticeEvent.select().where((PracticeEvent.session == self) & (PracticeEvent.seq > seq))
                .order_by(PracticeEvent.seq))

    def append_event(self, *, kind, actor, body="", client_id=None, data=None):
        """Add an event with the next sequence number; a repeated client id returns the stored one.

        Call inside a transaction that saves the session afterwards (its ``last_seq`` moved).
        """
        if client_id:
            existing = PracticeEvent.get_or_none(session=self, client_id=client_id)
            if existing is not None:
                return existing, False
        seq = self.last_seq + 1
        event = PracticeEvent.create(session=self, seq=seq, kind=kind, actor=actor, text=body,
                                     client_id=client_id, data=data or {})
        self.last_seq = seq
        return event, True


class PracticeEvent(PracticeModel):
    """One line of a practice chat, numbered per session like the real ledger."""

    session = ForeignKeyField(PracticeSession, backref="events", on_delete="CASCADE")
    seq = IntegerField()
    kind = CharField()
    actor = CharField()
    # As it was said: the resident's own words, or the practice dispatcher's in Japanese.
    text = TextField(default="", column_name="body")
    client_id = CharField(max_length=64, null=True)
    data = JSONField(default=dict)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("session", "seq"), True), (("session", "client_id"), True))

    @property
    def body(self):
        """What the chat shows: the practice dispatcher's words in the viewer's language (words.py)."""
        said = self.data.get("said")
        return words.read(said) if said else self.text


def new_case_number():
    """The next practice case number, visibly not a real one (real ones are YYMMDD-NNNN).

    Sequential, and called inside the write transaction that creates the
    session: random short numbers collided (a few per cent over 1,000 sessions).
    """
    last = PracticeSession.select(fn.MAX(PracticeSession.id)).scalar() or 0
    return f"P-{last + 1:06d}"


def session_of(resident_id, case_number):
    """The resident's practice session with this number, or None."""
    ensure_tables()
    return PracticeSession.get_or_none((PracticeSession.case_number == case_number)
                                       & (PracticeSession.resident_id == resident_id))


def latest_open_session(resident_id):
    """The resident's unfinished practice session, or None."""
    ensure_tables()
    return (PracticeSession.select()
            .where((PracticeSession.resident_id == resident_id) & PracticeSession.finished_at.is_null())
            .order_by(PracticeSession.created_at.desc()).first())


def publish(session, seq=None):
    """Tell the session's other practice sockets; call after the write committed."""
    practice_hub.publish(f"practice:{session.id}", session.id, seq)
