// The proxy-call card (SPEC §5). Without this file the card is text and a plain
// <audio controls>. With it: one big button per language (a second tap repeats), the
// browser's own voice when there is no server audio, the position for "where I am now",
// and a word when the card on screen is the copy saved for offline use.
(function () {
  "use strict";

  var VOICE_NAMES = { "ja-JP": "日本語", "en-US": "英語" };
  var canSpeak = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
  // The resident cannot hear whether the phone is reading: a voice that has not begun by
  // then has failed (audio stalled on a weak connection, a device with no Japanese voice),
  // and the screen says what happens instead.
  var START_TIMEOUT_MS = 6000;

  // ---- Players --------------------------------------------------------------
  var players = [];

  // Japanese with its English half marked, so that each is read in its own voice
  // (the page itself is English when the resident chose English).
  function write(element, ja, en) {
    element.lang = "ja";
    element.textContent = ja + (en ? " " : "");
    if (en) {
      var span = document.createElement("span");
      span.lang = "en";
      span.className = "en";
      span.textContent = en;
      element.appendChild(span);
    }
  }

  function say(player, ja, en) {
    write(player.el.querySelector("[data-status]"), ja, en);
  }

  function setPlaying(player, playing) {
    player.el.classList.toggle("is-playing", playing);
    // A hidden button drops the focus to the top of the page: hand it to the play button,
    // which stays, so a keyboard or switch user is still at the card's controls.
    if (!playing && document.activeElement === player.stop) player.button.focus();
    player.stop.hidden = !playing;
  }

  function waitForStart(player, giveUp) {
    clearTimeout(player.startTimer);
    player.startTimer = setTimeout(function () {
      player.startTimer = null;
      giveUp();
    }, START_TIMEOUT_MS);
  }

  function started(player) {
    clearTimeout(player.startTimer);
    player.startTimer = null;
    setPlaying(player, true);
    var seconds = player.el.getAttribute("data-seconds");
    // The resident cannot hear it: the screen says that it is being read, and for how long.
    say(player, VOICE_NAMES[player.voice] + "で読み上げています" + (seconds ? "（約" + seconds + "秒）" : "") + "…",
        "Reading aloud…");
  }

  function finished(player) {
    setPlaying(player, false);
    say(player, "読み上げが終わりました。もう一度押すと、くり返します。", "Finished. Press again to repeat.");
  }

  function stopAll() {
    players.forEach(function (player) {
      clearTimeout(player.startTimer);
      player.startTimer = null;
      if (player.audio && !player.audio.paused) player.audio.pause();
      setPlaying(player, false);
    });
    if (canSpeak) window.speechSynthesis.cancel();
  }

  function speakWithBrowser(player) {
    if (!canSpeak) {
      clearTimeout(player.startTimer);
      player.startTimer = null;
      say(player, "この端末では読み上げられません。画面を見せてください。", "This device cannot read aloud: please show the screen.");
      return;
    }
    var utterance = new SpeechSynthesisUtterance(player.el.getAttribute("data-text"));
    utterance.lang = player.voice;
    utterance.rate = 0.9;
    utterance.onstart = function () { started(player); };
    utterance.onend = function () { finished(player); };
    utterance.onerror = function (event) {
      setPlaying(player, false);
      // Cut short by a tap on another player or on 「止める」: nothing is wrong.
      if (event && (event.error === "interrupted" || event.error === "canceled")) return;
      couldNotSpeak(player);
    };
    // Not cancelled: a slow voice that starts after all still reads, and says so on screen.
    waitForStart(player, function () { couldNotSpeak(player); });
    window.speechSynthesis.speak(utterance);
  }

  function couldNotSpeak(player) {
    say(player, "読み上げられませんでした。画面を見せてください。", "Could not read aloud: please show the screen.");
  }

  function play(player) {
    stopAll();
    say(player, "読み上げの準備をしています…", "Getting ready to read aloud…");
    if (!player.audio || player.audioFailed) { speakWithBrowser(player); return; }
    waitForStart(player, function () {
      player.audioFailed = true;
      player.audio.pause();
      speakWithBrowser(player);
    });
    player.audio.currentTime = 0;
    var playing = player.audio.play();
    if (playing && playing.catch) {
      playing.catch(function (error) {
        // Stopped by another tap: nothing is wrong. Anything else: the device reads it.
        if (error && error.name === "AbortError") return;
        player.audioFailed = true;
        speakWithBrowser(player);
      });
    }
  }

  function initPlayer(el) {
    var player = {
      el: el,
      voice: el.getAttribute("data-voice"),
      audio: el.querySelector("audio[data-audio]"),
      button: el.querySelector("[data-play]"),
      stop: el.querySelector("[data-stop]"),
      audioFailed: false,
      startTimer: null,
    };
    if (player.audio) {
      // The big button replaces the small native controls; the <audio> stays to play.
      player.audio.controls = false;
      el.querySelector("[data-native]").hidden = true;
      player.audio.addEventListener("playing", function () { started(player); });
      player.audio.addEventListener("ended", function () { finished(player); });
      player.audio.addEventListener("error", function () {
        // Offline with nothing saved for this text, or the server has no voice now.
        var wasPlaying = player.el.classList.contains("is-playing");
        player.audioFailed = true;
        if (wasPlaying) speakWithBrowser(player);
      });
    } else {
      var noVoice = el.querySelector("[data-no-voice]");
      var browserVoice = el.querySelector("[data-browser-voice]");
      if (!canSpeak) return;
      noVoice.hidden = true;
      browserVoice.hidden = false;
    }
    player.button.hidden = false;
    player.button.addEventListener("click", function () { play(player); });
    player.stop.addEventListener("click", function () {
      stopAll();
      say(player, "止めました。", "Stopped.");
    });
    players.push(player);
  }

  // ---- Where I am now ---------------------------------------------------------
  // A permission prompt must never cover the card while a bystander reads it: ask only
  // when the resident turns to the "where I am now" form, unless already allowed.
  function watchPosition(form, done) {
    var status = form.querySelector('[data-proxy-geo="status"]');
    if (!("geolocation" in navigator)) {
      write(status, "この端末では現在地を取得できません。目印を入力してください。", "This device cannot find where you are: type a landmark.");
      done();
      return;
    }
    write(status, "現在地を取得しています…", "Finding where you are…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector('[data-proxy-geo="lat"]').value = pos.coords.latitude.toFixed(5);
      form.querySelector('[data-proxy-geo="lon"]').value = pos.coords.longitude.toFixed(5);
      var metres = Math.round(pos.coords.accuracy);
      write(status, "現在地を取得しました（誤差 約" + metres + " m）", "Found where you are (within about " + metres + " m)");
      done();
    }, function () {
      write(status, "現在地を取得できません。目印を入力してください。", "Where you are is not available: type a landmark.");
      done();
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  function initPlaceForm(root) {
    var status = root.querySelector('[data-proxy-geo="status"]');
    if (!status) return;
    var form = status.closest("form");
    // "idle" until asked, "asking" while the device looks, "done" with or without a position.
    var state = "idle";
    var waiting = [];
    function ask(then) {
      if (then) waiting.push(then);
      if (state === "done") { answered(); return; }
      if (state === "asking") return;
      state = "asking";
      watchPosition(form, function () { state = "done"; answered(); });
    }
    function answered() {
      var callbacks = waiting;
      waiting = [];
      callbacks.forEach(function (callback) { callback(); });
    }
    form.addEventListener("focusin", function () { ask(); });
    // Where the browser cannot tell that the position is allowed (iOS Safari has no Permissions
    // API), the tap on the button is the first use of the form: it waits for the position (or
    // its failure) instead of showing the card without it. form.submit() fires no second submit.
    form.addEventListener("submit", function (event) {
      if (state === "done" || form.querySelector('[data-proxy-geo="lat"]').value) return;
      event.preventDefault();
      ask(function () { form.submit(); });
    });
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (permission) {
        if (permission.state === "granted") ask();
      }, function () { /* unknown: wait for the form */ });
    }
  }

  // ---- Offline ------------------------------------------------------------------
  function showOffline() {
    var note = document.querySelector("[data-offline-note]");
    if (note) note.hidden = navigator.onLine;
  }

  function init() {
    var card = document.getElementById("proxy-card");
    if (!card || card.hasAttribute("data-ready")) return;
    card.setAttribute("data-ready", "");
    // Not NodeList.forEach: Safari 9 (iOS 9, which the SPEC names) has none.
    Array.prototype.forEach.call(card.querySelectorAll("[data-player]"), initPlayer);
    initPlaceForm(card);
    showOffline();
    window.addEventListener("online", showOffline);
    window.addEventListener("offline", showOffline);
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:load", init);
})();
