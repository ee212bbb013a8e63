"""The automatic practice dispatcher: greets, asks the standard questions, reacts, reviews.

It answers synchronously inside the resident's own request or socket step, so
practice works without JavaScript and needs no background worker. It speaks Japanese,
or English to a resident who chose English: what it says is stored as catalogue
msgids (words.py) and read in the language of the page that shows it.
"""
import json
import re
from pathlib import Path

from ..i18n import mark as N_, pick
from .store import PracticeSession, ensure_tables, new_case_number, practice_db, publish, utcnow
from .words import japanese, pair, say

# Each question and choice a (Japanese, English) pair, in the words of the real trees (app/data/questions).
QUESTIONS = json.loads((Path(__file__).with_name("questions.json")).read_text(encoding="utf-8"))
# SPEC §3.2: these are offered with every question.
ALWAYS_OFFERED = (("はい", "Yes"), ("いいえ", "No"), ("わからない", "I don't know"))
KINDS = ("fire", "ambulance", "other", "unknown")
PLACE_KINDS = ("home", "current", "frequent")
KIND_WORDS = {"火事": "fire", "救急": "ambulance", "その他": "other"}
# The kinds as the kind question names them: 「火事ですね」, "Fire. Understood."
KIND_NAMES = {KIND_WORDS[ja]: [ja, en] for ja, en in QUESTIONS["kind"]["choices"]}
FIRE_WORDS = re.compile(r"火事|燃え|燃えて|煙|炎|火が|\b(?:fire|smoke|flames?|burning)\b", re.I)
AMBULANCE_WORDS = re.compile(r"救急|けが|怪我|倒れ|痛い|苦しい|息|意識|血|具合"
                             r"|\b(?:ambulance|injur\w*|hurt|fell|fallen|collapsed|pain|breath\w*|bleed\w*|blood"
                             r"|unconscious|sick|ill)\b", re.I)
LOCATION_WORDS = re.compile(r"住所|丁目|番地|\d+-\d+|駅|交差点|ビル|公園|近く|前|[市町村区]|目印|階"
                            r"|\b(?:address|street|road|station|near|next to|opposite|in front of|corner|crossing"
                            r"|building|park|floor|block|city|town|landmark)\b", re.I)
FINISH_CHOICE = ("伝えることはない", "Nothing more to say")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PracticeInputError(ValueError):
    """Input the practice chat refuses, with the reason in both languages."""

    def __init__(self, ja, en):
        super().__init__(en)
        self.ja, self.en = ja, en


def _check_client_id(client_id):
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise PracticeInputError("送信IDが正しくありません。ページを読み込み直してください。",
                                 "The send id is not valid. Please reload the page.")


def open_session(resident_id, hq_id, *, kind, place_kind, client_id, place_label="", has_fix=False):
    """The second tap of a practice report: the session, greeted; a repeated tap returns the same one."""
    if kind not in KINDS:
        raise PracticeInputError("通報の種類を選んでください。", "Choose the type of report.")
    if place_kind not in PLACE_KINDS:
        raise PracticeInputError("場所を選んでください。", "Choose the place.")
    _check_client_id(client_id)
    ensure_tables()
    with practice_db.atomic("IMMEDIATE"):
        existing = PracticeSession.get_or_none(resident_id=resident_id, client_id=client_id)
        if existing is not None:
            return existing, False
        tree = kind if kind in ("fire", "ambulance", "other") else None
        session = PracticeSession.create(
            case_number=new_case_number(), resident_id=resident_id, hq_id=hq_id, client_id=client_id,
            kind=kind, place_kind=place_kind, place_label=place_label, has_fix=has_fix,
            coach={"tree": tree, "index": 0, "answers": [], "free_text": 0, "location_text": False,
                   "one_tap": tree is None, "phase": "questions" if tree else "kind"})
        session.append_event(kind="opened", actor="system",
                             data={"kind": kind, "place_kind": place_kind, "place": place_label})
        _set_status(session, "received")
        _say(session, say(N_("練習用の自動指令員です。これは練習です。本当の消防には届きません。"
                             "本番と同じように答えてみましょう。")))
        _ask(session)
        session.save()
    publish(session, session.last_seq)
    return session, True


def current_choices(session):
    """The answer chips for what the practice dispatcher asked last (empty when nothing is open)."""
    return [ja for ja, _ in _offered(session)]


def choice_words(session):
    """The answer chips in the viewer's language: each sends its own words; words offered twice
    (いる and はい are both "Yes") are one chip."""
    return list(dict.fromkeys(pick(choice) for choice in _offered(session)))


def _offered(session):
    """The (Japanese, English) answer chips for what the practice dispatcher asked last."""
    state = session.coach
    if not session.is_open:
        return []
    if state["phase"] == "kind":
        return [tuple(choice) for choice in QUESTIONS["kind"]["choices"]]
    if state["phase"] == "last_words":
        return [FINISH_CHOICE]
    choices = [tuple(choice) for choice in QUESTIONS[state["tree"]][state["index"]]["choices"]]
    return choices + [c for c in ALWAYS_OFFERED if c[0] not in {ja for ja, _ in choices}]


def post_message(session, *, body, client_id, max_chars=1000):
    """Store the resident's message and the practice dispatcher's reply; returns ``(event, created)``."""
    _check_client_id(client_id)
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise PracticeInputError("メッセージを入力してください。", "Enter a message.")
    if len(body) > max_chars:
        raise PracticeInputError(f"メッセージは{max_chars}文字以内にしてください。",
                                 f"Keep the message to {max_chars} characters or fewer.")
    with practice_db.atomic("IMMEDIATE"):
        session = PracticeSession.get_by_id(session.id)
        event, created = session.append_event(kind="message", actor="resident", body=body,
                                              client_id=client_id)
        if created:
            if not session.is_open:
                raise PracticeInputError("この練習は終了しています。", "This practice has ended.")
            # The automatic dispatcher reads at once: the resident sees 既読 as in a real chat.
            session.staff_read_seq = event.seq
            _respond(session, body)
            session.save()
    if created:
        publish(session, session.last_seq)
    return event, created


def mark_displayed(session, seq):
    """The resident has displayed the chat up to ``seq``."""
    (PracticeSession.update(resident_read_seq=seq)
     .where((PracticeSession.id == session.id) & (PracticeSession.resident_read_seq < seq)).execute())


def _respond(session, body):
    state = session.coach
    if state["phase"] == "kind":
        chosen = _choice_in(body, _offered(session))
        kind = KIND_WORDS[chosen] if chosen else _kind_in(body)
        if kind:
            state.update(tree=kind, phase="questions", index=0)
            session.kind = kind
            _say(session, say(N_("%(kind)sですね。わかりました。"), kind=KIND_NAMES[kind]))
        else:
            _note_free_text(session, body)
        _ask(session)
    elif state["phase"] == "questions":
        choice = _choice_in(body, _offered(session))
        if choice is not None:
            state["answers"].append({"ask": _question(session)["ask"][0], "answer": choice})
            state["index"] += 1
            if len(state["answers"]) == 1:
                _set_status(session, "dispatched")
        else:
            _note_free_text(session, body)
        _ask(session)
    else:
        if _choice_in(body, [FINISH_CHOICE]) is None:
            _note_free_text(session, body)
        _finish(session)


def _ask(session):
    """Ask the next question, or move on to the last words once the tree is done."""
    state = session.coach
    if state["phase"] == "kind":
        _say(session, pair(*QUESTIONS["kind"]["ask"]), choices=current_choices(session))
    elif state["index"] < len(QUESTIONS[state["tree"]]):
        _say(session, pair(*_question(session)["ask"]), choices=current_choices(session))
    else:
        state["phase"] = "last_words"
        _set_status(session, "en_route")
        _say(session, say(N_("ありがとうございます。隊員が向かっています。ほかに伝えたいことがあれば書いてください。")),
             choices=current_choices(session))


def _note_free_text(session, body):
    """React to typed text: a kind named, a place described, or just acknowledged."""
    state = session.coach
    state["free_text"] += 1
    if LOCATION_WORDS.search(body):
        state["location_text"] = True
        _say(session, say(N_("場所の情報を受け取りました。ありがとうございます。")))
    elif state["phase"] == "questions" and state["tree"] != "fire" and FIRE_WORDS.search(body):
        _say(session, say(N_("火が出ているのですね。消防車も向かわせます。安全な場所に離れてください。")))
    elif state["phase"] == "questions" and state["tree"] != "ambulance" and AMBULANCE_WORDS.search(body):
        _say(session, say(N_("けが人や具合の悪い人がいるのですね。救急車も向かわせます。")))
    else:
        _say(session, say(N_("メッセージを受け取りました。")))


def _finish(session):
    _set_status(session, "arrived")
    _say(session, *review_lines(session))
    session.finished_at = utcnow()


def review(session):
    """A short review, in Japanese as it is stored: what the resident did well and what to add next time."""
    return japanese(review_lines(session))


def review_lines(session):
    """The review as lines of ``words``, read in the viewer's language."""
    state = session.coach
    good = [say(N_("「すぐに通報」で、迷わず通報できました。")) if state["one_tap"]
            else say(N_("「%(kind)s」を選んで通報できました。"), kind=KIND_NAMES[session.kind])]
    if session.place_kind != "current" or session.has_fix or session.place_label or state["location_text"]:
        good.append(say(N_("場所を伝えられました。")))
    if state["answers"]:
        good.append(say(N_("質問に%(count)s問答えられました。"), count=len(state["answers"])))
    if state["free_text"]:
        good.append(say(N_("文章でも状況を伝えられました。")))
    add = []
    if state["tree"] and len(state["answers"]) < len(QUESTIONS[state["tree"]]):
        add.append(say(N_("答えていない質問がありました。わからないときは「わからない」を押すだけで大丈夫です。")))
    if session.place_kind == "current" and not (session.has_fix or session.place_label or state["location_text"]):
        add.append(say(N_("外出先では、建物や交差点の名前など目印を書き添えましょう。")))
    if not state["free_text"]:
        add.append(say(N_("「動けません」など、困っていることを文章で伝える練習もしてみましょう。")))
    lines = [say(N_("練習はここまでです。おつかれさまでした。")), say(N_("よくできたこと：")), *good]
    if add:
        lines += [say(N_("次に付け加えるとよいこと：")), *add]
    return lines


def _question(session):
    state = session.coach
    return QUESTIONS[state["tree"]][state["index"]]


def _choice_in(body, choices):
    """The Japanese of the (ja, en) choice that ``body`` answers, in either language, or None."""
    for ja, en in choices:
        if body in (ja, en) or _plain(body) == _plain(en):
            return ja
    # Longest first: 「していない」 must not be read as 「している」, nor "I don't know" as "No".
    for ja in sorted((ja for ja, _ in choices), key=len, reverse=True):
        if len(body) <= len(ja) + 4 and ja in body:
            return ja
    for ja, en in sorted(choices, key=lambda choice: len(choice[1]), reverse=True):
        if len(body) <= len(en) + 8 and re.search(rf"\b{re.escape(_plain(en))}\b", _plain(body)):
            return ja
    return None


def _plain(text):
    """English as typed, compared: lower case, the apostrophe as on a keyboard, no end punctuation."""
    return text.lower().replace("\u2019", "'").strip(" .!?")


def _kind_in(body):
    if FIRE_WORDS.search(body):
        return "fire"
    if AMBULANCE_WORDS.search(body):
        return "ambulance"
    return None


def _say(session, *lines, choices=()):
    """The practice dispatcher says ``lines`` (of ``words``): kept in Japanese, and as the lines
    themselves, so that each page shows them in its own language."""
    session.append_event(kind="message", actor="staff", body=japanese(lines),
                         data={"choices": list(choices), "said": list(lines)})


def _set_status(session, status):
    session.status = status
    session.append_event(kind="status", actor="staff", data={"status": status})
