"""The proxy-call card, its audio, and what the service worker keeps of both for offline use."""
import hashlib
import hmac
import re

from flask import abort, current_app, jsonify, request, url_for

from ..auth import current_resident, resident_required
from ..pages import render_page
from ..reporting import InvalidInput, latest_open_report, own_report, parse_fix
from . import bp
from .cards import LANGS, PLACE_CHOICES, VOICE_TAGS, card_for
from .speaking import spoken

# What a case number can look like (YYMMDD-NNNN today); anything else is no case of ours.
CASE_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
# An audio URL carries the speech key, so a cached copy is never stale: it can be kept a day.
AUDIO_MAX_AGE = 24 * 3600


def _own_report(case_number):
    """The current resident's report, or 404 (never revealing another's)."""
    if not CASE_NUMBER.fullmatch(case_number):
        # Typed or garbled in the address bar: PostgreSQL refuses some text outright (a NUL).
        abort(404)
    report = own_report(current_resident(), case_number)
    if report is None:
        abort(404)
    return report


def _requested_card(args):
    """The card a query string asks for; the page and its audio read the same one."""
    resident = current_resident()
    place_choice = args.get("place")
    if place_choice not in PLACE_CHOICES:
        place_choice = None
    if args.get("case"):
        report = _own_report(args["case"])
    elif place_choice is None and not _is_practice(args):
        report = latest_open_report(resident)
    else:
        report = None
    try:
        fix = parse_fix(args.get("lat"), args.get("lon"))
    except InvalidInput:
        # A garbled position must not keep the card off the screen: show it without one.
        fix = None
    return card_for(resident, report=report, place_choice=place_choice, kind=args.get("kind"),
                    fix=fix, landmark=args.get("landmark", ""))


def _is_practice(args):
    """A card opened from practice: marked as such, and never about a real open report."""
    return args.get("practice") == "1"


def _audio_url(card, lang, voice):
    # The speech key in the URL changes whenever the words or the voice do.
    return url_for(".audio", lang=lang, v=voice.key[:16], **card.query)


def _players(card):
    """One player per language: server audio, or the browser's own voice when there is none."""
    players = []
    for lang in LANGS:
        voice = spoken(card, lang)
        players.append({"lang": lang, "voice_tag": VOICE_TAGS[lang], "text": card.text(lang),
                        "audio_url": voice and _audio_url(card, lang, voice),
                        "duration": voice and voice.duration})
    return players


@bp.get("/proxy")
@resident_required
def card():
    """The full-screen card for a bystander, with play buttons for its audio."""
    shown = _requested_card(request.args)
    response = render_page("proxy/card.html", card=shown, players=_players(shown),
                           practice=_is_practice(request.args))
    # Always asked afresh when online; the service worker keeps the offline copy.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@bp.get("/proxy/audio/<lang>.mp3")
@resident_required
def audio(lang):
    """The card read aloud as MP3 (ETag = speech key; byte ranges for iOS Safari)."""
    if lang not in LANGS:
        abort(404)
    voice = spoken(_requested_card(request.args), lang)
    if voice is None:
        abort(404)
    response = current_app.response_class(voice.mp3, mimetype="audio/mpeg")
    response.set_etag(voice.key)
    response.cache_control.private = True
    response.cache_control.max_age = AUDIO_MAX_AGE
    return response.make_conditional(request, accept_ranges=True, complete_length=len(voice.mp3))


def _owner(resident):
    """An opaque name for the resident, so the service worker can tell a change of account."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"proxy-card:{resident.id}".encode(), hashlib.sha256).hexdigest()[:24]


@bp.get("/proxy/offline.json")
def offline_manifest():
    """What the service worker keeps for this resident: the cards and their audio.

    Not behind resident_required: a logged-out device is told it owns nothing, and the
    service worker then deletes what the previous resident left.
    """
    resident = current_resident()
    pages, audio = {}, []
    if resident is not None:
        cards = {"default": (url_for(".card"), _requested_card({})),
                 "home": (url_for(".card", place="home"), card_for(resident, place_choice="home")),
                 "generic": (url_for(".card", place="none"), card_for(resident, place_choice="none"))}
        for name, (url, card) in cards.items():
            pages[name] = url
            for lang in LANGS:
                voice = spoken(card, lang)
                if voice is not None and _audio_url(card, lang, voice) not in audio:
                    audio.append(_audio_url(card, lang, voice))
    response = jsonify(owner=resident and _owner(resident), pages=pages, audio=audio)
    response.cache_control.no_store = True
    return response


def card_worker_settings():
    """What the service worker (app/core/pwa.py) needs to keep the card: its URLs."""
    return {
        "manifest": url_for("proxy.offline_manifest"),
        "card": url_for("proxy.card"),
        "audio": [url_for("proxy.audio", lang=lang) for lang in LANGS],
    }
