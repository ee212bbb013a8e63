// NET119 page behaviour. Every page works without this file; it adds the
// location fix, the live chat over WebSockets, alarms and the map.
(function () {
  "use strict";

  // ---- Identifiers -------------------------------------------------------
  // getRandomValues works on plain http too (randomUUID needs a secure context).
  function newClientId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // ---- Words -------------------------------------------------------------
  // What this script writes on the page comes from the server, translated into the
  // page's language like every other string (app/i18n.py, script_text).
  var WORDS = {};
  try { WORDS = JSON.parse(document.getElementById("script-text").textContent); } catch (e) { /* none */ }
  function uiText(key, values) {
    return (WORDS[key] || key).replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  }

  // Lists of elements are walked with each(): NodeList.forEach came with Chrome 51 and
  // Safari 10, and the SPEC names iOS 9, where this file must still fill in the position.
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  // ---- Location ----------------------------------------------------------
  // Started as soon as the page opens so the fix is usually ready by the second
  // tap; the report never waits for it (an empty fix is sent as "no position").
  var lastFix = null;
  var geoStarted = false;
  var geoMessage = uiText("locating");
  // What geoMessage says, without its figures: the live region below speaks only when this
  // changes, not every time a new fix moves the error by a metre.
  var geoKind = "locating";
  function sayGeo(kind, values) {
    geoKind = kind;
    geoMessage = uiText(kind, values);
  }

  // A fix is where the resident is only while it is recent. A page left open (an installed
  // app resumed from the background, hours later and in another town) still holds its last
  // fix, and a panicked tap made before the phone finds a new one would send the report to
  // the HQ of where they were. An old fix is no fix: the report goes without a position
  // (routed as such, and the chat sends the first fresh one), never with a wrong one. While
  // the page is shown it asks for a fix every REFRESH_FIX_MS, as watchPosition may say nothing
  // while the phone stays put. "Recent" counts from when the page was given the fix, which
  // maximumAge keeps within a minute of when it was taken.
  var FIX_FRESH_MS = 120000;
  var REFRESH_FIX_MS = 60000;
  function freshFix() {
    return lastFix && Math.abs(Date.now() - lastFix.at) <= FIX_FRESH_MS ? lastFix : null;
  }

  function fillLocationFields(root) {
    var fix = freshFix();
    // A fix gone stale: locating again, or failed if the last try did (a permission taken back).
    if (!fix && lastFix && geoMessage === lastFix.said) sayGeo(lastFix.failedSince ? "geoFailed" : "locating");
    each(root.querySelectorAll("[data-geo]"), function (el) {
      var key = el.getAttribute("data-geo");
      if (key === "status") {
        if (el.textContent !== geoMessage) el.textContent = geoMessage;
      } else {
        el.value = fix ? String(key === "accuracy" ? Math.round(fix.accuracy) : fix[key]) : "";
      }
    });
    // The shown line follows every fix (each minute, or each second on some phones); a
    // screen reader hears only what changes its meaning: locating, located, failed.
    // The shown line beside it is then for the eyes only: read in browse mode, the same words
    // twice would be noise (without JavaScript that line says why no position is sent, and stays).
    each(root.querySelectorAll("[data-geo-news]"), function (el) {
      var shown = el.previousElementSibling;
      if (shown && shown.getAttribute("data-geo") === "status") shown.setAttribute("aria-hidden", "true");
      if (el.getAttribute("data-kind") === geoKind) return;
      el.setAttribute("data-kind", geoKind);
      el.textContent = geoMessage;
    });
  }

  function takeFix(pos) {
    sayGeo("located", { accuracy: Math.round(pos.coords.accuracy) });
    lastFix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy,
                at: Date.now(), said: geoMessage };
    fillLocationFields(document);
  }

  // A phone that stays put may time out between fixes, and a browser may report an error
  // while it switches sources: the fix it gave still holds while it is fresh, and "cannot get
  // your location" would be untrue (and read out) while the fields have one. Once it is stale,
  // the line says the last try failed (a permission taken back, no signal), not "locating".
  function geoError() {
    if (lastFix) lastFix.failedSince = lastFix.failedSince || Date.now();
    if (!freshFix()) sayGeo("geoFailed");
    fillLocationFields(document);
  }

  function refreshFix() {
    if (!geoStarted || !("geolocation" in navigator) || document.visibilityState === "hidden") return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      takeFix(pos);
      sendLocation(false);
    }, geoError,
    { enableHighAccuracy: true, maximumAge: REFRESH_FIX_MS, timeout: 20000 });
  }

  // Whatever the fields were filled with is checked again as the report is sent.
  document.addEventListener("submit", function (evt) {
    if (evt.target.querySelector && evt.target.querySelector('[data-geo="lat"]')) fillLocationFields(evt.target);
  }, true);

  // While a report is open its chat keeps sending the position (SPEC §3.3): every
  // 30 s, and at once when the phone has moved beyond the fix's own error or the
  // error has halved. The dispatcher's map draws the trail from these.
  var LOCATION_EVERY_MS = 30000;
  var MOVED_AT_LEAST_M = 25;

  function metresBetween(a, b) {
    var rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var h = Math.pow(Math.sin(dLat / 2), 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * 6371000 * Math.asin(Math.sqrt(h));
  }

  function sendLocation(force) {
    var fix = freshFix();  // an old fix is not sent as the current position
    if (!fix) return;
    each(document.querySelectorAll("[data-location-updates]"), function (chat) {
      var sent = chat._net119Fix;
      var due = force || !sent || Date.now() - chat._net119FixAt >= LOCATION_EVERY_MS ||
        metresBetween(sent, fix) >= Math.max(MOVED_AT_LEAST_M, fix.accuracy) ||
        fix.accuracy <= sent.accuracy / 2;
      // Offline, nothing is queued: the socket sends the newest fix when it opens.
      if (!due || !chat._net119 || chat.hasAttribute("data-offline")) return;
      chat._net119.wrapper.send(JSON.stringify({
        type: "location", client_id: newClientId(),
        lat: fix.lat, lon: fix.lon, accuracy: Math.round(fix.accuracy)
      }));
      chat._net119Fix = fix;
      chat._net119FixAt = Date.now();
    });
  }

  // Take a fresh fix now and send it to every open report on the page (also
  // what a dispatcher's "send your location again" request runs).
  function sendFreshLocation() {
    if (!("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      takeFix(pos);
      sendLocation(true);
    }, function () { sendLocation(true); }, { enableHighAccuracy: true, maximumAge: 0, timeout: 15000 });
  }
  window.NET119 = window.NET119 || {};
  window.NET119.sendFreshLocation = sendFreshLocation;
  // The console's queue decides when a report is news (static/js/console.js): tone and flash.
  window.NET119.alarm = function () { beep(); alertUser(); };
  window.NET119.sound = { isOn: soundIsOn, turnOn: turnSoundOn, beep: function () { beep(); } };
  window.NET119.initMaps = function (root) { initMaps(root); };
  window.NET119.japanClock = japanClock;

  // "16:05" in Japan, as the server writes the chat's times (|jst): the device's own clock zone
  // may be another (a visitor's phone, a desk PC left on UTC), and one moment must not read as
  // two times nine hours apart. Japan keeps no summer time, so UTC + 9 h is all of it.
  function japanClock(date) {
    var japan = new Date(date.getTime() + 9 * 3600 * 1000);
    return ("0" + japan.getUTCHours()).slice(-2) + ":" + ("0" + japan.getUTCMinutes()).slice(-2);
  }

  // A closed report: no more position, and no line saying when it was last sent. A page
  // that needs a fix again (the start page, after a boosted navigation) starts it again.
  var geoWatch = null;
  function stopGeolocation() {
    if (geoWatch !== null) navigator.geolocation.clearWatch(geoWatch);
    geoWatch = null;
    geoStarted = false;
    each(document.querySelectorAll('[data-geo="status"], [data-geo-news]'), function (el) { el.remove(); });
  }

  function startGeolocation() {
    if (geoStarted || !document.querySelector("[data-geo]")) return;
    geoStarted = true;
    if (!("geolocation" in navigator)) {
      sayGeo("noGeolocation");
      fillLocationFields(document);
      return;
    }
    geoWatch = navigator.geolocation.watchPosition(function (pos) {
      takeFix(pos);
      sendLocation(false);
    }, geoError, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  // ---- Chat over the socket ------------------------------------------------
  // The server is the ledger: every event has a per-report sequence number, the
  // page tells the server the last one it has on every (re)connect, and frames
  // it already shows are dropped. Messages wait in an outbox (kept in
  // localStorage, so a reload loses nothing) until the server acknowledges them
  // by sending the stored event back; a retry reuses the same client id, so the
  // server stores each message once.
  var UNACKNOWLEDGED_MS = 10000;
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var SESSION_ENDED = 4401;
  var ACCESS_ENDED = 4403;
  var STALE_AFTER_HIDDEN_MS = 5000;

  // What the HQ pushes that is not a message still alerts the resident (SPEC §3.3).
  var NEWS_FROM_HQ = /class="event event--(status|transfer)\b/;

  // htmx's ws extension makes a new socket on every reconnect and closes the old one only
  // if it is open: a reconnect while one is still connecting (ours on pageshow, the
  // extension's own retry) leaves two, and the older one, opening later, would be taken for
  // the chat's (its resume sent on the newer, still connecting one). So each socket made
  // for a URL marks the one before it replaced; a replaced socket is closed as it opens.
  var newestSocket = {};
  if (window.htmx && htmx.createWebSocket) {
    var createWebSocket = htmx.createWebSocket;
    htmx.createWebSocket = function (url) {
      var socket = createWebSocket(url);
      if (newestSocket[url]) newestSocket[url]._net119Replaced = true;
      newestSocket[url] = socket;
      noteWhatItHears(socket);
      return socket;
    };
  }

  // A network can die without closing the socket: a phone moving off Wi-Fi or between
  // cells, a NAT that forgot the connection. Nothing fails; frames just go nowhere, and
  // TCP may take a quarter of an hour to give up. The server's pings cannot be seen by a
  // page. So each socket notes when it last heard anything, and since when a frame the
  // server answers (every kind but 既読) has gone unanswered: checkAlive reconnects a chat
  // whose socket left one unanswered for ANSWER_MS, and asks (a resume, always answered)
  // after QUIET_MS of silence, so a reply is not left waiting on a dead socket either.
  var QUIET_MS = 25000;
  var ANSWER_MS = 8000;
  function noteWhatItHears(socket) {
    socket._net119Heard = Date.now();
    socket._net119Asked = 0;
    var heard = function () { socket._net119Heard = Date.now(); socket._net119Asked = 0; };
    socket.addEventListener("open", heard);
    socket.addEventListener("message", heard);
    var send = socket.send;
    socket.send = function (data) {
      if (!socket._net119Asked && String(data).indexOf('"type":"read"') < 0) socket._net119Asked = Date.now();
      return send.apply(socket, arguments);
    };
  }

  // A network that is only slow (2G, a congested cell) must not be made slower by new
  // sockets every ANSWER_MS: each replacement in a row waits twice as long, up to a minute,
  // until anything is heard again.
  var MOST_PATIENCE_MS = 60000;
  function checkAlive(chat) {
    var live = chat._net119;
    if (!live || chat.hasAttribute("data-offline") || live.socket.readyState !== 1) return;
    var socket = live.socket, now = Date.now(), patience = chat._net119Patience || ANSWER_MS;
    if (socket._net119Asked && now - socket._net119Asked >= patience) {
      socket._net119Asked = 0;
      chat._net119Patience = Math.min(2 * patience, MOST_PATIENCE_MS);
      live.wrapper.reconnect();  // a new socket resumes from the last sequence and sends the outbox again
    } else if (!socket._net119Asked && now - socket._net119Heard >= QUIET_MS) {
      live.wrapper.send(JSON.stringify({ type: "resume", after: lastSeq(chat) }));
    }
  }

  function chatOf(elt) { return elt && elt.closest ? elt.closest("[data-last-seq]") : null; }
  function lastSeq(chat) { return parseInt(chat.getAttribute("data-last-seq"), 10) || 0; }

  function attr(message, name) {
    var match = new RegExp(name + '="([^"]+)"').exec(message);
    return match ? match[1] : null;
  }

  // Outbox: [{id, body, frame}] per chat; ``frame`` is what is sent (a message when
  // absent), ``body`` what the bubble shows. The page's own copy is what counts; it is
  // also kept in localStorage when the chat names a key, so a reload loses nothing.
  // Where storage throws (full, or Safari's private mode) the message still waits here.
  function outboxKey(chat) {
    var key = chat.getAttribute("data-outbox");
    return key ? "net119-outbox:" + key : null;
  }
  function readOutbox(chat) {
    if (!chat._net119Outbox) {
      var key = outboxKey(chat);
      var kept = [];
      try { kept = key ? JSON.parse(localStorage.getItem(key) || "[]") : []; } catch (e) { kept = []; }
      chat._net119Outbox = kept;
    }
    return chat._net119Outbox.slice();
  }
  function writeOutbox(chat, items) {
    chat._net119Outbox = items.slice();
    var key = outboxKey(chat);
    if (!key) return;
    try {
      if (items.length) localStorage.setItem(key, JSON.stringify(items)); else localStorage.removeItem(key);
    } catch (e) { /* storage full or blocked: the page's own copy still holds it */ }
  }

  // The HQ's news on a resident's page comes where they can see it: the flash tells them
  // something came, and on a small phone the chat's end is often below the fold. A new
  // question brings its answers to tap. Not while they type: the box under their fingers
  // stays put.
  function bringIntoView(el) {
    var active = document.activeElement;
    if (!el || !el.scrollIntoView) return;
    if (active && (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" &&
        ["text", "search", "tel", "email", "url", "number"].indexOf(active.type) >= 0))) return;
    el.scrollIntoView({ block: "nearest" });
  }

  // The newest open question's answer chips (_partials/_choices.html: one form a question).
  function newestQuestion() {
    var asked = document.querySelectorAll("#choices [name=question_seq]");
    return asked.length ? asked[asked.length - 1] : null;
  }

  function alertUser() {
    // The resident cannot hear a tone: vibrate and flash instead (never sound alone).
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    document.body.classList.remove("flash");
    void document.body.offsetWidth;
    document.body.classList.add("flash");
  }

  // Dispatchers can hear: a short tone as well as the visual flash. One AudioContext for the
  // page: a browser allows few, and one made without the user's gesture (after a reload) stays
  // suspended, silent, until a gesture resumes it. The console says so while it is off, and
  // any press on the page turns it on (static/js/console.js).
  var tone = null;
  var lastBeep = 0;

  function toneContext() {
    if (!tone) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      try { tone = new Context(); } catch (e) { return null; }
    }
    return tone;
  }

  function soundIsOn() {
    var ctx = toneContext();
    return !!ctx && ctx.state === "running";
  }

  // Works inside a user's gesture (a press); anywhere else the browser leaves it off.
  function turnSoundOn() {
    var ctx = toneContext();
    if (!ctx || ctx.state === "running" || !ctx.resume) return Promise.resolve(soundIsOn());
    try {
      return ctx.resume().then(soundIsOn, soundIsOn);
    } catch (e) { return Promise.resolve(false); }
  }

  function beep() {
    var ctx = toneContext();
    if (!ctx || Date.now() - lastBeep < 1000) return;  // two alarms at once are one tone
    lastBeep = Date.now();
    try {
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio output: the flash still shows */ }
  }

  function showNotice(ja, en) {
    var notice = document.getElementById("notice");
    if (!notice) return;
    notice.className = "notice notice--error";
    notice.setAttribute("data-undelivered", "");
    notice.innerHTML = "";
    // Both languages whatever the page's, each marked: a screen reader on an English page
    // reads the Japanese with a Japanese voice (as _partials/_notice.html does).
    var p = document.createElement("p");
    var japanese = document.createElement("span");
    japanese.lang = "ja";
    japanese.textContent = ja;
    p.appendChild(japanese);
    p.appendChild(document.createTextNode(" "));
    var span = document.createElement("span");
    span.lang = "en";
    span.className = "en";
    span.textContent = en;
    p.appendChild(span);
    notice.appendChild(p);
  }

  function clearUndeliveredNotice(chat) {
    var notice = document.getElementById("notice");
    if (notice && notice.hasAttribute("data-undelivered") && !chat.querySelector(".event--pending")) {
      notice.removeAttribute("data-undelivered");
      notice.className = "notice";
      notice.innerHTML = "";
    }
  }

  function addPending(chat, item) {
    var log = chat.querySelector("#chat-log");
    if (!log || document.getElementById("pending-" + item.id)) return;
    var li = document.createElement("li");
    li.id = "pending-" + item.id;
    li.className = "event event--message event--mine event--pending";
    var text = document.createElement("p");
    text.className = "event__body";
    text.textContent = item.body;
    var meta = document.createElement("p");
    meta.className = "event__meta";
    meta.innerHTML = '<span class="event__state" data-state="sending"></span>';
    meta.firstChild.textContent = uiText("sending");
    li.appendChild(text);
    li.appendChild(meta);
    log.appendChild(li);
    setTimeout(function () { notArrived(item.id); }, UNACKNOWLEDGED_MS);
  }

  function notArrived(clientId) {
    var li = document.getElementById("pending-" + clientId);
    if (!li) return;
    li.classList.add("event--failed");
    li.querySelector(".event__state").textContent = uiText("notArrived");
    var chat = chatOf(li);
    if (chat && chat.getAttribute("data-viewer") === "staff") {
      // A dispatcher has no use for the resident's other ways; the outbox sends it when the socket opens.
      showNotice("メッセージがまだ届いていません。接続を確認してください。届くまで送り直します。",
        "Your message has not been delivered yet. Check the connection; it will be sent again until it arrives.");
      return;
    }
    showNotice("メッセージがまだ届いていません。電波の良い場所で待つか、ほかの方法（周りの人に119番を頼む・FAX 119）も使ってください。",
      "Your message has not arrived yet. Please also use another way to call for help.");
  }

  function acknowledge(chat, clientId) {
    var pending = document.getElementById("pending-" + clientId);
    if (pending) pending.remove();
    writeOutbox(chat, readOutbox(chat).filter(function (item) { return item.id !== clientId; }));
    clearUndeliveredNotice(chat);
  }

  // Marks this page's messages up to the read marker 既読; says how many it marked.
  function markRead(chat) {
    var marker = chat.querySelector("#read-marker");
    var upTo = marker ? parseInt(marker.getAttribute("data-read-seq"), 10) || 0 : 0;
    var unseen = document.getElementById("unseen");
    var marked = 0;
    // A dispatcher of the HQ that has the report has opened it (after a transfer: read past it).
    if (unseen && upTo >= (parseInt(unseen.getAttribute("data-read-past"), 10) || 1)) unseen.remove();
    each(chat.querySelectorAll(".event--mine[data-seq], .event--opened[data-seq]"), function (li) {
      var state = li.querySelector(".event__state");
      if (state && parseInt(li.getAttribute("data-seq"), 10) <= upTo && state.getAttribute("data-state") !== "read") {
        state.setAttribute("data-state", "read");
        state.textContent = uiText("read");
        marked += 1;
      }
    });
    return marked;
  }

  // 既読 changes a word inside a message already read out, which the chat's live region
  // (additions only) does not repeat: a screen reader hears it from this status line. It is
  // emptied first, so a second 既読 with the same words is heard again.
  function announceRead(chat) {
    var news = chat.querySelector("[data-read-news]");
    if (!news) return;
    news.textContent = "";
    setTimeout(function () { news.textContent = uiText("readNews"); }, 100);
  }

  // The newest event shown that the other side made: a read marker (既読) is news only to
  // them, so this page's own messages and hidden location updates do not need one.
  function lastTheirsSeq(chat) {
    var theirs = chat.querySelectorAll("li[data-seq]:not(.event--mine):not([hidden])");
    return theirs.length ? parseInt(theirs[theirs.length - 1].getAttribute("data-seq"), 10) || 0 : 0;
  }

  // Tell the server what this page has shown, but only while someone can see it.
  function sendRead(chat) {
    var socket = chat._net119;
    var seq = lastTheirsSeq(chat);
    if (!socket || document.visibilityState !== "visible" || seq <= (chat._net119ReadSent || 0)) return;
    chat._net119ReadSent = seq;
    socket.wrapper.send(JSON.stringify({ type: "read", seq: seq }));
  }

  // htmx has connected this chat to its socket: taps go through it from now on, and
  // static/js/fallback.js leaves the chat live (without this, both fall back to plain posts).
  document.addEventListener("htmx:wsConnecting", function (evt) {
    var chat = chatOf(evt.target);
    if (!chat) return;
    if (!chat.hasAttribute("data-live")) chat.setAttribute("data-live", "");
    if (!chat._net119DownSince) chat._net119DownSince = Date.now();
  });

  document.addEventListener("htmx:wsOpen", function (evt) {
    var chat = chatOf(evt.target);
    if (!chat) return;
    if (evt.detail.event.target._net119Replaced) { evt.detail.event.target.close(); return; }
    chat.removeAttribute("data-offline");
    chat._net119DownSince = 0;
    if (chat.getAttribute("data-live") === "no") window.NET119.hideFrame(chat);  // the socket got through
    chat._net119 = { wrapper: evt.detail.socketWrapper, socket: evt.detail.event.target };
    chat._net119ReadSent = 0;
    var wrapper = evt.detail.socketWrapper;
    wrapper.sendImmediately(JSON.stringify({ type: "resume", after: lastSeq(chat) }));
    readOutbox(chat).forEach(function (item) {
      wrapper.sendImmediately(JSON.stringify(item.frame || { type: "message", client_id: item.id, body: item.body }));
    });
    chat._net119Fix = null;
    sendLocation(false);
    sendRead(chat);
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var chat = chatOf(evt.target);
    if (chat) chat._net119Patience = 0;  // heard: the next silence is judged afresh
    var message = evt.detail.message;
    var clientId = attr(message, "data-client-id");
    if (chat && clientId) acknowledge(chat, clientId);
    if (chat && chat.getAttribute("data-viewer") === "resident" && message.indexOf('id="choices"') >= 0) {
      chat._net119AskedBefore = newestQuestion() ? newestQuestion().value : "";
    }
    var seq = attr(message, "data-seq");
    if (seq !== null && document.getElementById("ev-" + seq)) {
      evt.preventDefault();  // already shown: a resume replays from the last sequence we told it
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var chat = chatOf(evt.target);
    if (!chat) return;
    var message = evt.detail.message;
    var seq = parseInt(attr(message, "data-seq"), 10);
    if (seq > lastSeq(chat)) {
      chat.setAttribute("data-last-seq", String(seq));
      if (message.indexOf("event--theirs") >= 0) {
        if (chat.getAttribute("data-viewer") === "resident") {
          alertUser();
          bringIntoView(document.getElementById("ev-" + seq));
        } else beep();
      } else if (chat.getAttribute("data-viewer") === "resident" && NEWS_FROM_HQ.test(message)) {
        alertUser();  // 出動しました, 到着しました, 終了, a transfer: as much news as a message
        bringIntoView(document.getElementById("ev-" + seq));
      }
      // The dispatcher asked for a fresh position (app/dispatch/locating.py): take one and send it now.
      if (message.indexOf("event--position_request") >= 0 && chat.getAttribute("data-viewer") === "resident" &&
          window.NET119 && window.NET119.sendFreshLocation) {
        alertUser();
        window.NET119.sendFreshLocation();
      }
    }
    if (message.indexOf('id="choices"') >= 0 && chat._net119AskedBefore !== undefined) {
      var asked = newestQuestion();
      if (asked && asked.value !== chat._net119AskedBefore) bringIntoView(asked.form);
      chat._net119AskedBefore = undefined;
    }
    if (chat.hasAttribute("data-location-updates") && message.indexOf("event--location") >= 0) {
      var accuracy = attr(message, "data-accuracy");
      var time = japanClock(new Date());
      geoMessage = accuracy && accuracy !== "None"
        ? uiText("locationSentWithAccuracy", { time: time, accuracy: Math.round(parseFloat(accuracy)) })
        : uiText("locationSent", { time: time });
      fillLocationFields(chat.closest("main") || document);
    }
    if (chat.hasAttribute("data-location-updates") && chat.querySelector("[data-closed]")) {
      // Closed by the HQ (report/_closed.html): the position is no longer sent.
      chat.removeAttribute("data-location-updates");
      stopGeolocation();
    }
    if (markRead(chat)) announceRead(chat);
    sendRead(chat);
  });

  document.addEventListener("htmx:wsConfigSend", function (evt) {
    var form = evt.target;
    var chat = chatOf(form);
    var body = form.querySelector("textarea");
    if (!chat || !body || !body.value.trim()) { evt.preventDefault(); return; }
    var item = { id: newClientId(), body: body.value.trim(), action: form.action };
    evt.detail.parameters.client_id = item.id;
    delete evt.detail.parameters.csrf_token;
    delete evt.detail.headers;
    writeOutbox(chat, readOutbox(chat).concat([item]));
    addPending(chat, item);
    body.value = "";
    // While disconnected the outbox alone carries it: it is sent when the socket opens,
    // or posted at once if the socket cannot get through this network.
    if (!chat._net119 || chat.hasAttribute("data-offline")) {
      evt.preventDefault();
      if (chat.getAttribute("data-live") === "no") postOutbox(chat);
    }
  });

  // Answer chips and quick phrases: one tap sends the tapped button's form as a
  // socket frame, through the same outbox as typed messages. The form's client
  // id is the one a plain post would use, so either path stores it once.
  function sendFrame(chat, frame, shown, action) {
    if (readOutbox(chat).some(function (item) { return item.id === frame.client_id; })) return false;
    var item = { id: frame.client_id, body: shown, frame: frame, action: action };
    writeOutbox(chat, readOutbox(chat).concat([item]));
    addPending(chat, item);
    if (chat._net119 && !chat.hasAttribute("data-offline")) chat._net119.wrapper.send(JSON.stringify(frame));
    else if (chat.getAttribute("data-live") === "no") postOutbox(chat);
    return true;
  }

  // The button last pressed, for browsers without SubmitEvent.submitter (Safari before
  // 15.4, so iOS 14 and early 15): pressing a submit button, by touch, mouse or
  // keyboard, clicks it before its form is submitted.
  var pressed = null;
  document.addEventListener("click", function (evt) {
    var target = evt.target;
    pressed = target && target.closest ? target.closest("button[type=submit], input[type=submit]") : null;
  }, true);

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var type = form.getAttribute("data-socket-frame");
    var chat = chatOf(form);
    // Before htmx has wired the chat, or without htmx at all (static/js/fallback.js), the
    // form's plain post sends it, with the same client id.
    if (!type || !chat || !window.htmx || !chat.hasAttribute("data-live")) return;
    // The tapped button carries the phrase or the answer. Where the browser cannot say
    // which it was, the button last pressed in this form is it; without one (the form
    // submitted some other way) the plain post sends it.
    var button = evt.submitter;
    if (button === undefined) button = pressed && pressed.form === form ? pressed : undefined;
    pressed = null;
    if (button === undefined) return;
    evt.preventDefault();
    var frame = { type: type };
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token") frame[key] = value;
    });
    // By hand: FormData(form, submitter) is recent (Chrome 112, Safari 16.4); older
    // browsers ignore the button, and the frame would go without its words.
    if (button && button.name) frame[button.name] = button.value;
    if (frame.question_seq) frame.question_seq = parseInt(frame.question_seq, 10);
    if (!sendFrame(chat, frame, frame.choice || frame.body, form.action)) return;
    var clientId = form.querySelector("[name=client_id]");
    if (type === "answer") {
      // The focus waits on the chips' region for the next question (it would fall to <body>).
      var region = form.contains(document.activeElement) && document.getElementById("choices");
      form.hidden = true;  // answered: the server sends the next chips
      if (region) region.focus({ preventScroll: true });
    }
    else clientId.value = newClientId();  // the next tap is a new message
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var chat = chatOf(evt.target);
    var closed = evt.detail.event;
    // A socket replaced by reconnect() closes later; only the current one counts.
    if (!chat || closed.target._net119Replaced || (chat._net119 && chat._net119.socket !== closed.target)) return;
    chat.setAttribute("data-offline", "");
    if (!chat._net119DownSince) chat._net119DownSince = Date.now();
    if (closed.code === SESSION_ENDED) { window.location.reload(); return; }
    if (closed.code === ACCESS_ENDED) { window.location.assign(chat.getAttribute("data-gone-url") || "/"); return; }
    // The extension retries only abnormal closes; a report must stay connected
    // whatever closed it (server restart, proxy timeout, 1000/1001).
    if (RETRIED_BY_EXTENSION.indexOf(closed.code) < 0 && document.body.contains(evt.target)) {
      var wrapper = evt.detail.socketWrapper;
      setTimeout(function () { wrapper.reconnect(); }, 250 + Math.random() * 1500);
    }
  });

  // A page back from the background or the back/forward cache may hold a socket
  // that died silently: reconnect (which resumes from the last sequence number).
  var hiddenAt = 0;
  function revive(force) {
    each(document.querySelectorAll("[data-last-seq]"), function (chat) {
      if (!chat._net119) return;
      if (force || Date.now() - hiddenAt > STALE_AFTER_HIDDEN_MS) chat._net119.wrapper.reconnect();
      else sendRead(chat);
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { hiddenAt = Date.now(); return; }
    revive(false);
    fillLocationFields(document);  // a fix that went stale meanwhile is no longer offered
    refreshFix();
  });
  window.addEventListener("pageshow", function (evt) { if (evt.persisted) revive(true); });

  function restoreOutbox(root) {
    each(root.querySelectorAll("[data-outbox]"), function (chat) {
      readOutbox(chat).forEach(function (item) {
        if (chat.querySelector('#chat-log [data-client-id="' + item.id + '"]')) acknowledge(chat, item.id);
        else addPending(chat, item);
      });
      markRead(chat);
    });
  }

  // An answer still waiting in the outbox (offline, or after a reload) hides its
  // question's chips: a second tap would only be refused as a second answer.
  function hidePendingAnswers(chat) {
    if (!chat) return;
    readOutbox(chat).forEach(function (item) {
      if (!item.frame || item.frame.type !== "answer") return;
      each(chat.querySelectorAll('form[data-socket-frame="answer"]'), function (form) {
        var seq = form.querySelector("[name=question_seq]");
        if (seq && parseInt(seq.value, 10) === item.frame.question_seq) form.hidden = true;
      });
    });
  }

  // ---- A report no dispatcher has opened yet (SPEC §3.5) --------------------
  // The server says how long until the resident should be told (report/_unseen.html),
  // so a phone whose clock is wrong still tells them on time; markRead removes it.
  function watchUnseen(root) {
    var notice = root.querySelector ? root.querySelector("#unseen[data-unseen-in]") : null;
    if (!notice || notice._net119Timer) return;
    notice._net119Timer = setTimeout(function () {
      if (!document.body.contains(notice)) return;
      notice.hidden = false;
      alertUser();
    }, parseInt(notice.getAttribute("data-unseen-in"), 10) || 0);
  }

  // ---- When the socket cannot get through ---------------------------------
  // Some networks (a proxy, a captive Wi-Fi, a firewall) pass pages but refuse
  // WebSockets. A resident's chat whose socket has not been open for
  // SOCKET_GRACE_MS while the server answers a plain request becomes the
  // no-JavaScript chat: the self-refreshing message frame (static/js/fallback.js),
  // and what waits in the outbox posted as forms, in order. The client ids are the
  // socket's, so the server stores each message once, whichever way it came. When
  // a socket opens again the live chat comes back and resumes from its sequence.
  var SOCKET_GRACE_MS = 10000;

  function checkSocket(chat) {
    if (chat.getAttribute("data-live") === "no") {  // here, or by fallback.js, or restored so
      watchFrame(chat);
      postOutbox(chat);
      return;
    }
    if (chat.getAttribute("data-live") !== "" || !chat._net119DownSince || chat._net119Probing ||
        Date.now() - chat._net119DownSince < SOCKET_GRACE_MS) return;
    chat._net119Probing = true;
    var settled = function (reached) {
      chat._net119Probing = false;
      if (!reached || !chat._net119DownSince) return;  // no network at all, or the socket is back
      if (!window.NET119.showFrame) return;  // fallback.js did not arrive either: wait for the socket
      window.NET119.showFrame(chat);
      watchFrame(chat);
      postOutbox(chat);
    };
    askServer(chat).then(function (response) { settled(response.ok); }, function () { settled(false); });
  }

  // A plain request the server answers while the socket cannot: the chat's message frame,
  // which also tells whether the session is still there (it redirects to the login).
  function askServer(chat) {
    return fetch(chat.getAttribute("data-frame-url"), { credentials: "same-origin", cache: "no-store" });
  }

  // The frame has no script of its own: the resident still feels a new message.
  function watchFrame(chat) {
    var frame = chat.querySelector(".chat-frame");
    if (!frame || frame._net119Watched) return;
    frame._net119Watched = true;
    var seen = lastTheirsSeq(chat);
    frame.addEventListener("load", function () {
      var theirs = frame.contentDocument ? frame.contentDocument.querySelectorAll(
        "li.event--theirs[data-seq], li.event--status[data-seq], li.event--transfer[data-seq]") : [];
      var newest = theirs.length ? parseInt(theirs[theirs.length - 1].getAttribute("data-seq"), 10) : 0;
      if (newest > seen) { seen = newest; alertUser(); }
    });
  }

  function postOutbox(chat) {
    if (chat._net119Posting) return;
    var token = document.querySelector("input[name=csrf_token]");
    var compose = chat.querySelector("#compose");
    var refused = chat._net119Refused = chat._net119Refused || {};
    var items = readOutbox(chat).filter(function (item) { return !refused[item.id]; });
    if (!items.length || !token) return;
    chat._net119Posting = true;
    (function next(i) {
      if (i >= items.length) { chat._net119Posting = false; return; }
      var item = items[i];
      var action = item.action || (compose && compose.action);
      var fields = item.frame || { body: item.body, client_id: item.id };
      var data = new URLSearchParams();
      Object.keys(fields).forEach(function (key) { if (key !== "type") data.append(key, fields[key]); });
      data.append("csrf_token", token.value);
      fetch(action, { method: "POST", body: data, credentials: "same-origin" }).then(function (response) {
        // Stored: the post is answered with its chat (…/reports/N/messages → …/reports/N).
        var back = new URL(response.url).pathname + "/";
        if (response.ok && response.redirected && new URL(action, location.href).pathname.indexOf(back) === 0) {
          acknowledge(chat, item.id);
          next(i + 1);
        } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          refusedOrLoggedOut(chat, item);
        } else throw new Error("not stored");
      }).catch(function () { chat._net119Posting = false; });  // the next check tries again, in order
    })(0);
  }

  // A refusal is either the message (it would be refused again: not sent again from
  // this page, and said to have not arrived) or a session that has ended (its token
  // with it): then the page is loaded again, which asks for a login and comes back
  // here, where the outbox still holds the message.
  function refusedOrLoggedOut(chat, item) {
    askServer(chat).then(function (response) {
      if (response.redirected) { window.location.reload(); return; }
      chat._net119Refused[item.id] = true;
      notArrived(item.id);
      chat._net119Posting = false;
    }, function () { chat._net119Posting = false; });
  }

  // ---- Map ---------------------------------------------------------------
  // Leaflet is fetched only when a map is on the page (the console's case view),
  // which also works after a boosted navigation, where <head> scripts do not run.
  var leafletLoading = false;

  function loadLeaflet(el) {
    if (leafletLoading) return;
    leafletLoading = true;
    // The map is drawn once both have arrived: controls drawn before their
    // stylesheet are tiny unstyled links, too small to tap (WCAG 2.5.8).
    var waiting = 2;
    function arrived() { if (--waiting === 0) initMaps(document); }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = el.dataset.leafletCss;
    css.onload = arrived;
    css.onerror = arrived;  // without its stylesheet a map is still better than none
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = el.dataset.leafletJs;
    script.onload = arrived;
    document.head.appendChild(script);
  }

  function initMaps(root) {
    var maps = root.querySelectorAll(".map[data-lat]:not(.leaflet-container)");
    if (!maps.length) return;
    if (!window.L) { loadLeaflet(maps[0]); return; }
    // Leaflet guesses its image folder from its stylesheet, which may still be loading.
    L.Icon.Default.imagePath = maps[0].dataset.leafletCss.replace(/leaflet\.css$/, "images/");
    each(maps, function (el) {
      var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
      var map = L.map(el, { keyboard: false }).setView([lat, lon], 16);
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
      var marker = L.marker([lat, lon], { keyboard: false }).addTo(map);
      var accuracy = parseFloat(el.dataset.accuracy);
      var circle = accuracy > 0 ? L.circle([lat, lon], { radius: accuracy }).addTo(map) : null;
      // The console draws the trail of location updates on it (static/js/console.js).
      el._net119Map = { map: map, marker: marker, circle: circle };
      el.dispatchEvent(new CustomEvent("net119:map", { bubbles: true }));
    });
  }

  // ---- A tap meant for the step before ---------------------------------------
  // The report's second step appears where the first step's buttons were: on a 360 px phone
  // 自宅 lies under 火事. A panicked double tap, or a tap that lands twice, would send the
  // report with a place (or kind) nobody chose. For a moment after such a step appears its
  // buttons take no tap; reading the question and choosing takes longer than that.
  var NEW_STEP_QUIET_MS = 600;

  function noteNewSteps(root) {
    var now = Date.now();
    var forms = root.querySelectorAll ? root.querySelectorAll("form[data-second-tap]") : [];
    each(forms, function (form) { if (!form._net119ShownAt) form._net119ShownAt = now; });
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest ? evt.target.closest("button[type=submit]") : null;
    var form = button && button.form;
    if (!form || !form._net119ShownAt || Date.now() - form._net119ShownAt >= NEW_STEP_QUIET_MS) return;
    evt.preventDefault();
    evt.stopImmediatePropagation();
  }, true);

  // ---- Focus on a new page ---------------------------------------------------
  // A boosted link or form swaps the body: the control pressed is gone and the focus falls
  // to <body>, where a screen reader says nothing of the new page and the next Tab starts
  // from the top. So the new page's error summary takes the focus when it has one (GOV.UK:
  // it is read out, and Tab goes on to its links), as it does on a page loaded whole; else
  // the same control again where the page was only redrawn (a dispatcher's status button),
  // else <main> (tabindex="-1"), where reading starts with the new content. The page is not
  // scrolled for these (htmx leaves a boosted page where it was: scrollIntoViewOnBoost).
  var pressedBefore = null;

  // What a control does, to find it again in a page or region drawn anew. Answer chips
  // differ by their question as well (the same はい under two questions).
  function controlKey(el) {
    if (!el || !el.matches) return null;
    if (el.matches("button, input[type=submit]") && el.form) {
      var question = el.form.querySelector("[name=question_seq]");
      return ["button", el.form.getAttribute("action"), question ? question.value : "", el.name, el.value].join("\n");
    }
    return el.matches("a[href]") ? "a\n" + el.getAttribute("href") : null;
  }

  function focusSummary() {
    var summary = document.querySelector(".error-summary[tabindex]");
    if (summary) summary.focus();
    return !!summary;
  }

  function focusNewPage() {
    if (focusSummary()) return;
    var active = document.activeElement;
    if (active && active !== document.body) return;  // htmx kept it (an element with the same id)
    var again = null;
    if (pressedBefore) {
      each(document.querySelectorAll("main button, main input[type=submit], main a[href]"), function (el) {
        if (!again && controlKey(el) === pressedBefore && el.getClientRects().length) again = el;
      });
    }
    var target = again || document.getElementById("main");
    if (target) target.focus({ preventScroll: true });
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    pressedBefore = evt.detail.boosted ? controlKey(document.activeElement) : null;
  });

  // A socket's frame replaces a region whole (the answer chips, the console's queue) whenever
  // it changes: a control focused in it is gone, and the focus fell to <body> under someone
  // on the keyboard or a screen reader, tabbing to an answer or a case. It goes back to the
  // same control in the new region, else to the region itself where it takes the focus.
  var focusedInSwap = null;
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var active = document.activeElement, target = evt.detail.target;
    focusedInSwap = target && target.id && active && active !== document.body && target.contains(active)
      ? { region: target.id, key: controlKey(active) } : null;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var was = focusedInSwap;
    focusedInSwap = null;
    var active = document.activeElement;
    if (!was || (active && active !== document.body)) return;
    var region = document.getElementById(was.region);
    if (!region) return;
    var again = null;
    each(region.querySelectorAll("button, input[type=submit], a[href]"), function (el) {
      if (!again && was.key && controlKey(el) === was.key && el.getClientRects().length) again = el;
    });
    if (again) again.focus({ preventScroll: true });
    else if (region.hasAttribute("tabindex")) region.focus({ preventScroll: true });
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.boosted) focusNewPage();
  });

  function init() {
    noteNewSteps(document);
    focusSummary();
    // Capped full jitter: a phone with an open report must be back within seconds.
    if (window.htmx) {
      htmx.config.wsReconnectDelay = function (retry) {
        return Math.random() * Math.min(3000, 250 * Math.pow(2, retry));
      };
    }
    startGeolocation();
    initMaps(document);
    watchUnseen(document);
    setInterval(function () {
      if (document.querySelector("[data-location-updates]")) sendFreshLocation();
    }, LOCATION_EVERY_MS);
    setInterval(function () {
      // An open report's chat already takes a fresh fix every LOCATION_EVERY_MS.
      if (!document.querySelector("[data-location-updates]")) refreshFix();
      fillLocationFields(document);
    }, REFRESH_FIX_MS);
    setInterval(function () {
      if (document.visibilityState !== "visible") return;
      each(document.querySelectorAll("[data-frame-url][data-live]"), checkSocket);
    }, 2000);
    // Hidden too: a reply to a phone in a pocket must still vibrate it.
    setInterval(function () { each(document.querySelectorAll("[data-last-seq]"), checkAlive); }, 1000);
  }

  // A page htmx keeps for the back button holds its <noscript> as text, which a restore
  // parses as markup: the chat's hidden message frame would load and refresh itself.
  document.addEventListener("htmx:beforeHistorySave", function (evt) {
    each(evt.detail.historyElt.querySelectorAll("noscript"), function (el) { el.remove(); });
  });

  document.addEventListener("htmx:load", function (evt) {
    noteNewSteps(evt.target);
    startGeolocation();
    watchUnseen(evt.target);
    fillLocationFields(evt.target);
    initMaps(evt.target);
    restoreOutbox(evt.target);
    hidePendingAnswers(chatOf(evt.target) || evt.target.querySelector("[data-outbox]"));
  });
  document.addEventListener("DOMContentLoaded", init);
})();
