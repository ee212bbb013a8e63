"""Canned phrases (定型文): each HQ's own list, numbered for one-key sending in the console."""
from peewee import fn

from ..models import AuditEntry, CannedPhrase, row_id, write_transaction
from ..reporting import InvalidInput

MAX_PHRASE = 200
# One key each (1-9) in the console; more would not fit a shortcut or a glance.
MAX_PHRASES = 9
# Every new HQ starts with these (demo and `net119 hq import`); each edits its own list at /admin.
DEFAULT_PHRASES = (
    "119番消防です。通報を受け付けました。",
    "消防車が向かっています。",
    "救急車が向かっています。",
    "安全な場所にいてください。",
    "けがをしている人はいますか？",
    "そこにいる人の人数を教えてください。",
    "到着まで、このチャット画面を開いたままにしてください。",
)


def seed_defaults(hq):
    """Give a new ``hq`` the default phrases."""
    for position, text in enumerate(DEFAULT_PHRASES, start=1):
        CannedPhrase.create(hq=hq, text=text, position=position)


def _checked(text):
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput("text", "定型文を入力してください。", "Enter the canned phrase.")
    if len(text) > MAX_PHRASE:
        raise InvalidInput("text", f"定型文は{MAX_PHRASE}文字以内にしてください。",
                           f"Keep the canned phrase to {MAX_PHRASE} characters or fewer.")
    return text


def add(staff, text):
    """Add a phrase at the end of the HQ's list."""
    text = _checked(text)
    with write_transaction():
        if CannedPhrase.of(staff.hq).count() >= MAX_PHRASES:
            raise InvalidInput("text", f"定型文は{MAX_PHRASES}個までです。使わないものを削除してください。",
                               f"An HQ has at most {MAX_PHRASES} canned phrases. Delete one you do not use.")
        # A double-pressed 追加する (or the same phrase twice) would take two of the nine keys.
        if CannedPhrase.of(staff.hq).where(CannedPhrase.text == text).exists():
            raise InvalidInput("text", "同じ定型文がすでにあります。", "This canned phrase is already in the list.")
        last = (CannedPhrase.select(fn.MAX(CannedPhrase.position))
                .where(CannedPhrase.hq == staff.hq).scalar() or 0)
        phrase = CannedPhrase.create(hq=staff.hq, text=text, position=last + 1)
        AuditEntry.record("phrase_add", staff=staff, phrase=phrase.id, text=text)
    return phrase


def edit(staff, phrase, text):
    """Change a phrase's text."""
    text = _checked(text)
    with write_transaction():
        AuditEntry.record("phrase_edit", staff=staff, phrase=phrase.id, before=phrase.text, text=text)
        phrase.text = text
        phrase.save()
    return phrase


def move(staff, phrase, step):
    """Move a phrase one place up (``step`` -1) or down (+1), which changes its key."""
    phrases = list(CannedPhrase.of(staff.hq))
    at = phrases.index(phrase)
    to = at + step
    if step not in (-1, 1) or not 0 <= to < len(phrases):
        raise InvalidInput("move", "これ以上動かせません。", "It cannot move further.")
    phrases[at], phrases[to] = phrases[to], phrases[at]
    with write_transaction():
        for position, item in enumerate(phrases, start=1):
            CannedPhrase.update(position=position).where(CannedPhrase.id == item.id).execute()
        AuditEntry.record("phrase_move", staff=staff, phrase=phrase.id, to=to + 1)


def delete(staff, phrase):
    """Remove a phrase from the HQ's list."""
    with write_transaction():
        AuditEntry.record("phrase_delete", staff=staff, phrase=phrase.id, text=phrase.text)
        phrase.delete_instance()


def phrase_of(hq, phrase_id):
    """The HQ's phrase with this id, or None (whoever else's it may be)."""
    wanted = row_id(phrase_id)
    if wanted is None:
        return None
    return CannedPhrase.get_or_none((CannedPhrase.id == wanted) & (CannedPhrase.hq == hq))
