"""The proxy-call card (SPEC §5) over plain HTTP, with real speech from the offline engines."""
import html
import os
import re
import threading
import time
from datetime import timedelta

import miniaudio
import pytest

from app.auth import hash_password
from app.extensions import db
from app.models import Headquarters, Report, Resident
from app.proxy import speaking
from app.proxy.cards import is_deaf
from app.reporting import record_location
from app.routing import Fix
from speech.card import fixed_sentences

from .conftest import LiveServer, login_as, start_report
from .test_review_a11y import japanese_outside_ja
from .http_session import HttpSession

AUDIO_URL = re.compile(r'<audio [^>]*src="([^"]+)"')


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory):
    """One speech cache for the module: each card text is synthesised once per session."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture
def resident_client(app, client, speech_cache):
    app.config["SPEECH_CACHE_DIR"] = speech_cache
    login_as(client, app.accounts["residents"][0])
    return client


@pytest.fixture
def other_resident(app):
    """A second resident of the same HQ, with the account to log in with."""
    with db.connection_context():
        Resident.create(login="eniwa-hanako", password_hash=hash_password("pass-word-2"),
                        hq=Headquarters.get(code="chitose"), name="恵庭 花子",
                        address="北海道恵庭市京町1番地")
    return {"login": "eniwa-hanako", "password": "pass-word-2"}


@pytest.fixture
def syntheses(monkeypatch):
    """Every speech.synthesize result the card asks for, to tell cache hits from new audio."""
    results = []
    real = speaking.speech.synthesize

    def recording(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(speaking.speech, "synthesize", recording)
    return results


def audio_urls(page):
    return [html.unescape(url) for url in AUDIO_URL.findall(page.text)]


def spoken_text(page, lang):
    player = re.search(rf'id="player-{lang}"[^>]*data-text="([^"]*)"', page.text)
    return html.unescape(player.group(1))


def test_home_card_shows_the_name_and_home_address_in_both_languages(resident_client):
    page = resident_client.get("/proxy")
    assert page.status_code == 200
    assert "private" in page.headers["Cache-Control"] and "no-cache" in page.headers["Cache-Control"]
    for words in ("私は耳が聞こえません。", "代わりに119番に電話してください。", "Please call 119 for me.",
                  "千歳 太郎", "チトセ タロウ", "北海道千歳市東雲町2丁目34"):
        assert words in page.text
    assert "通報番号" not in page.text
    assert "場所は北海道千歳市東雲町2丁目34です。" in spoken_text(page, "ja")
    assert [url.split("?")[0] for url in audio_urls(page)] == ["/proxy/audio/ja.mp3", "/proxy/audio/en.mp3"]
    # Played by a button (or the native controls), never on its own.
    assert "autoplay" not in page.text


def test_card_of_an_open_report_shows_kind_place_and_case_number(resident_client):
    chat_url = start_report(resident_client, kind="fire", place="current").headers["Location"]
    case_number = chat_url.rsplit("/", 1)[1]
    assert f'href="/proxy?case={case_number}"' in resident_client.get(chat_url).text

    latest, by_case = resident_client.get("/proxy"), resident_client.get(f"/proxy?case={case_number}")
    for page in (latest, by_case):
        assert page.status_code == 200
        for words in ("火事", case_number, "千歳 太郎", "千歳市", "北緯42.82102", "東経141.65088"):
            assert words in page.text
        assert "火事です。" in spoken_text(page, "ja") and f"通報番号は{case_number}です。" in spoken_text(page, "ja")
        english = spoken_text(page, "en")
        assert "There is a fire." in english and "Chitose City, latitude 42.82102" in english
        assert "The case number is " + " ".join(case_number[:6]) in english
    assert audio_urls(latest) == audio_urls(by_case)


def test_card_for_where_i_am_now_names_the_municipality_coordinates_and_landmark(resident_client):
    page = resident_client.get("/proxy", query_string={
        "place": "here", "lat": "42.82793", "lon": "141.65214", "landmark": "千歳駅の東口"})
    assert "千歳市、千歳駅の東口、北緯42.82793、東経141.65214" in page.text
    assert "北海道千歳市東雲町2丁目34" not in page.text
    # The English voice cannot read the Japanese landmark, but it reads the rest.
    assert "The place is Chitose City, latitude 42.82793, longitude 141.65214." in spoken_text(page, "en")
    assert 'value="千歳駅の東口"' in page.text


@pytest.mark.parametrize("query, shown, not_shown", [
    ({"place": "none"}, "この近くです", "東雲町"),
    ({"kind": "ambulance"}, "救急", "通報番号"),
    ({"place": "here", "lat": "north", "lon": "141.6"}, "この近くです", "北緯"),
    ({"place": "here", "landmark": "あ" * 500}, "あ" * 200, "あ" * 201),
])
def test_card_variants(resident_client, query, shown, not_shown):
    page = resident_client.get("/proxy", query_string=query)
    assert page.status_code == 200
    assert shown in page.text and not_shown not in page.text


def test_start_page_links_to_the_card_in_one_tap(resident_client):
    start = resident_client.get("/")
    link = re.search(r'<a class="button button--proxy" href="([^"]+)" hx-boost="false">周りの人に見せる', start.text)
    assert link and link.group(1) == "/proxy"
    assert 'href="/proxy?kind=fire"' in resident_client.get("/?kind=fire").text


def test_another_residents_case_and_an_unknown_case_are_not_found(app, client, other_resident, speech_cache):
    app.config["SPEECH_CACHE_DIR"] = speech_cache
    login_as(client, other_resident)
    chat_url = start_report(client, kind="ambulance", place="home").headers["Location"]
    case_number = chat_url.rsplit("/", 1)[1]
    theirs = audio_urls(client.get(f"/proxy?case={case_number}"))
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)})

    login_as(client, app.accounts["residents"][0])
    assert client.get(f"/proxy?case={case_number}").status_code == 404
    assert client.get("/proxy?case=000000-0000").status_code == 404
    assert [client.get(url).status_code for url in theirs] == [404, 404]
    # Their latest open report is not this resident's either.
    assert case_number not in client.get("/proxy").text


@pytest.mark.parametrize("path", ["/proxy", "/proxy/audio/ja.mp3?place=home"])
def test_not_logged_in_goes_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/proxy")


def test_audio_is_an_mp3_that_decodes_with_a_plausible_duration(resident_client):
    ja_url, en_url = audio_urls(resident_client.get("/proxy?place=home"))
    for url, seconds in ((ja_url, (5, 40)), (en_url, (2, 30))):
        response = resident_client.get(url)
        assert response.status_code == 200 and response.mimetype == "audio/mpeg"
        assert response.headers["Cache-Control"] == "private, max-age=86400"
        decoded = miniaudio.decode(response.data, nchannels=1)
        assert seconds[0] < decoded.duration < seconds[1]
        assert max(decoded.samples) > 1000  # speech, not silence


def test_second_request_is_a_cache_hit_with_the_same_bytes(resident_client, syntheses, speech_cache):
    page = resident_client.get("/proxy", query_string={"place": "here", "landmark": "キャッシュ確認用の目印"})
    url = audio_urls(page)[0]
    first, second = resident_client.get(url), resident_client.get(url)
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    japanese = [result for result in syntheses if result.lang == "ja"]
    assert [result.cached for result in japanese] == [False, True, True]
    etag = first.headers["ETag"].strip('"')
    assert etag == japanese[0].key and (speech_cache / "audio" / f"{etag}.mp3").read_bytes() == first.data

    unchanged = resident_client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    part = resident_client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == first.data[:100]


def test_english_falls_back_to_the_browser_voice_without_an_english_engine(app, resident_client):
    app.config["SPEECH_ENGINES"] = {"ja": ["openjtalk"]}
    page = resident_client.get("/proxy?place=home")
    urls = audio_urls(page)
    assert [url.split("?")[0] for url in urls] == ["/proxy/audio/ja.mp3"]
    english = page.text[page.text.index('id="player-en"'):]
    assert "<audio" not in english and "data-browser-voice" in english and "英語の音声はありません" in english
    assert spoken_text(page, "en").startswith("I am deaf. Please call 1 1 9 for me.")
    assert resident_client.get(urls[0].replace("/ja.mp3", "/en.mp3")).status_code == 404
    assert all("/en.mp3" not in url for url in resident_client.get("/proxy/offline.json").json["audio"])
    assert resident_client.get(urls[0]).status_code == 200


def test_offline_manifest_names_the_resident_and_the_cards_to_keep(app, resident_client, other_resident):
    manifest = resident_client.get("/proxy/offline.json")
    assert manifest.headers["Cache-Control"] == "no-store"
    body = manifest.json
    assert body["pages"] == {"default": "/proxy", "home": "/proxy?place=home", "generic": "/proxy?place=none"}
    assert len(body["audio"]) == 4  # Japanese and English, home and generic
    home_audio = audio_urls(resident_client.get("/proxy?place=home"))
    assert set(home_audio) <= set(body["audio"])
    assert all(resident_client.get(url).status_code == 200 for url in body["audio"])

    other_device = app.test_client()
    assert other_device.get("/proxy/offline.json").json == {"owner": None, "pages": {}, "audio": []}
    login_as(other_device, other_resident)
    assert other_device.get("/proxy/offline.json").json["owner"] not in (None, body["owner"])


def test_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.text.startswith('self.NET119 = {"manifest": "/proxy/offline.json", "card": "/proxy"')
    assert "/static/css/app.css" in response.text.splitlines()[0]


@pytest.mark.parametrize("disability, deaf", [
    ("聴覚障害（音声での会話ができません）", True),
    ("", True),
    ("音声機能・言語機能障害", False),
    ("聴覚・言語機能障害", True),
])
def test_the_card_says_deaf_or_unable_to_speak(disability, deaf):
    assert is_deaf(Resident(disability_type=disability)) is deaf


def test_a_starting_server_voices_the_shared_sentences_in_the_background(tmp_path):
    """`net119 demo` (and `serve`) voices what every card says once its worker is up: no first card is truly cold."""
    server = LiveServer(tmp_path / "demo", env={"NET119_SPEECH_PREPARE_ON_START": "true"}).start()
    try:
        kept = tmp_path / "demo" / "speech-cache" / "sentences"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(kept.glob("*.pcm"))) < len(fixed_sentences("ja")):
            time.sleep(0.2)
        assert len(list(kept.glob("*.pcm"))) == len(fixed_sentences("ja"))
        # The server runs under gevent; Open JTalk voices there in native threads (app/offload.py).
        resident = HttpSession(server.base_url).login(server.account("residents"))
        _, _, page = resident.request("/proxy?place=home")
        ja_url = html.unescape(AUDIO_URL.findall(page)[0])
        assert ja_url.startswith("/proxy/audio/ja.mp3")
        with resident.opener.open(server.base_url + ja_url, timeout=30) as answer:
            assert answer.status == 200
            decoded = miniaudio.decode(answer.read(), nchannels=1)
        assert decoded.duration > 5 and max(decoded.samples) > 1000
    finally:
        server.close()


def test_card_of_a_report_from_where_i_am_follows_the_latest_position(app, resident_client, monkeypatch):
    """The phone keeps sending its position while the report is open (SPEC §3.3): a resident who has
    moved since the report (out of a smoking building, along a road) is where the bystander is now."""
    case_number = start_report(resident_client, kind="ambulance", place="current").headers["Location"].rsplit("/", 1)[1]
    before = resident_client.get(f"/proxy?case={case_number}")
    assert "北緯42.82102" in before.text
    monkeypatch.setattr("app.reporting.MIN_LOCATION_INTERVAL_S", 0)
    with app.app_context(), db.connection_context():
        report = Report.get(Report.case_number == case_number)
        record_location(report, Fix(42.8828, 141.5778, 20), "proxy-moved-0001")  # 恵庭市役所

    for page in (resident_client.get(f"/proxy?case={case_number}"), resident_client.get("/proxy")):
        assert "恵庭市、北緯42.88280、東経141.57780" in page.text and "北緯42.82102" not in page.text
        assert "場所は恵庭市、北緯42.88280、東経141.57780です。" in spoken_text(page, "ja")
        assert "The place is Eniwa City, latitude 42.88280, longitude 141.57780." in spoken_text(page, "en")
        assert case_number in page.text
    # New words, new audio: the page does not play what an earlier card said.
    assert audio_urls(page) != audio_urls(before)
    assert all(resident_client.get(url).status_code == 200 for url in audio_urls(page))


def test_the_japanese_of_the_card_is_marked_japanese_when_the_resident_chose_english(resident_client):
    """On an English page (<html lang="en">) a screen reader would read the card's Japanese, the
    plea, the place and the name, with an English voice unless each part says it is Japanese."""
    case_number = start_report(resident_client, kind="fire", place="current").headers["Location"].rsplit("/", 1)[1]
    resident_client.set_cookie("net119_lang", "en")
    for url in ("/proxy?place=home", f"/proxy?case={case_number}", "/proxy?place=none&kind=ambulance"):
        page = resident_client.get(url)
        assert '<html lang="en">' in page.text
        assert japanese_outside_ja(page.text) == [], url
    # The resident's own controls stay in the language they chose.
    assert "Change the place on the card" in page.text


def test_a_practice_card_stays_practice_when_the_place_changes(app, resident_client):
    """SPEC §6: 「練習中」 on every practice screen. A card opened from practice whose place links
    or way back lost that would lead a rehearsing resident to the real start page, where the
    next two taps send a real report to the fire HQ."""
    start_report(resident_client, kind="fire", place="current")  # a real open report beside the practice
    page = resident_client.get("/proxy?practice=1&kind=fire")
    assert "練習中" in page.text
    links = [html.unescape(url) for url in re.findall(r'<li><a href="([^"]+)"', page.text)]
    assert links == ["/proxy?place=home&kind=fire&practice=1", "/proxy?place=none&kind=fire&practice=1"]
    assert '<input type="hidden" name="practice" value="1">' in page.text
    back = re.search(r'<p class="proxy__back"[^>]*>\s*<a href="([^"]+)"', page.text).group(1)
    assert back == "/practice"
    here = resident_client.get("/proxy", query_string={"practice": "1", "kind": "fire", "place": "here",
                                                       "landmark": "公園"})
    for followed in [resident_client.get(url) for url in links] + [here]:
        assert "<title>練習中：" in followed.text and 'id="practice-banner"' in followed.text
        assert "通報番号" not in followed.text


@pytest.mark.parametrize("kind", ["unknown", "other"])
def test_a_card_without_fire_or_ambulance_shows_what_it_says_aloud(resident_client, kind):
    """「種別不明」 is the console's word: to a bystander, a card saying "Type unknown" or "Other"
    under 何があったか reads as if nothing were wrong. It shows the words it speaks."""
    page = resident_client.get("/proxy", query_string={"kind": kind, "place": "home"})
    assert "助けが必要です。" in spoken_text(page, "ja") and "I need help." in spoken_text(page, "en")
    fact = re.search(r'<dd class="proxy-fact__value">(.*?)</dd>', page.text, re.S).group(1)
    assert "助けが必要です" in fact and "I need help" in fact
    assert "種別不明" not in page.text and "Type unknown" not in page.text


@pytest.mark.both_databases
@pytest.mark.parametrize("path", ["/proxy?case=%00", "/proxy?case=250101-0001%00", "/proxy/audio/ja.mp3?case=%00",
                                  "/proxy?case=a%00b&place=home"])
def test_a_case_number_with_a_nul_byte_is_not_found_on_either_database(app, client, path):
    """PostgreSQL refuses a NUL in a query's text: asked for such a case, the card answered 500."""
    login_as(client, app.accounts["residents"][0])
    response = client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません。" in response.text and "This page does not exist." in response.text


def _aged_card_audio(directory, name, days):
    """A card MP3 in the speech cache's audio directory, last used ``days`` ago."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.mp3"
    path.write_bytes(b"\xff\xf3" + bytes(4000))
    then = time.time() - days * 24 * 3600
    os.utime(path, (then, then))
    return path


def test_card_audio_the_resident_has_not_asked_for_in_a_month_is_pruned_and_their_home_card_stays(
        app, client, tmp_path):
    app.config["SPEECH_CACHE_DIR"] = tmp_path / "speech"
    login_as(client, app.accounts["residents"][0])
    assert client.get("/proxy?place=home").status_code == 200
    audio = tmp_path / "speech" / "audio"
    home = sorted(audio.glob("*.mp3"))
    for path in home:
        then = time.time() - 31 * 24 * 3600
        os.utime(path, (then, then))
    stale = _aged_card_audio(audio, "a-case-closed-long-ago", days=31)
    sentences = sorted((tmp_path / "speech" / "sentences").glob("*.pcm"))

    assert client.get("/proxy?place=home").status_code == 200  # asked for again: a use
    pruned = speaking.prune_cache(app)

    assert not stale.exists()
    assert home and all(path.exists() for path in home)
    assert sentences and all(path.exists() for path in sentences)
    assert pruned.removed == 1


@pytest.mark.parametrize("keep", [3600, timedelta(hours=1)])
def test_the_keep_time_is_set_as_a_timedelta_or_in_seconds(app, tmp_path, keep):
    """NET119_SPEECH_CACHE_KEEP=3600 arrives as a number of seconds."""
    app.config.update(SPEECH_CACHE_DIR=tmp_path / "speech", SPEECH_CACHE_KEEP=keep)
    audio = tmp_path / "speech" / "audio"
    old = _aged_card_audio(audio, "two-hours", days=2 / 24)
    recent = _aged_card_audio(audio, "half-an-hour", days=0.5 / 24)

    speaking.prune_cache(app)

    assert not old.exists() and recent.exists()


def test_the_size_cap_removes_the_least_recently_used_card_audio(app, tmp_path):
    audio = tmp_path / "speech" / "audio"
    older = _aged_card_audio(audio, "older", days=2)
    newer = _aged_card_audio(audio, "newer", days=1)
    app.config.update(SPEECH_CACHE_DIR=tmp_path / "speech", SPEECH_CACHE_MAX_BYTES=newer.stat().st_size)

    speaking.prune_cache(app)

    assert not older.exists() and newer.exists()


def test_the_server_prunes_at_start_and_then_again_and_again(app, tmp_path):
    app.config["SPEECH_CACHE_DIR"] = tmp_path / "speech"
    audio = tmp_path / "speech" / "audio"
    at_start = _aged_card_audio(audio, "at-start", days=31)
    stop = threading.Event()

    thread = speaking.prune_in_background(app, every=0.1, stop=stop)
    try:
        _wait_until(lambda: not at_start.exists())
        later = _aged_card_audio(audio, "later", days=31)
        _wait_until(lambda: not later.exists())
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def _wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
