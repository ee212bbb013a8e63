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

  // ---- Location ----------------------------------------------------------
  // Started as soon as the page opens so the fix is usually ready by the second
  // tap; the report never waits for it (an empty fix is sent as "no position").
  var lastFix = null;
  var geoStarted = false;
  var geoMessage = "現在地を取得しています…";

  function fillLocationFields(root) {
    root.querySelectorAll("[data-geo]").forEach(function (el) {
      var key = el.getAttribute("data-geo");
      if (key === "status") {
        el.textContent = geoMessage;
      } else if (lastFix) {
        el.value = String(key === "accuracy" ? Math.round(lastFix.accuracy) : lastFix[key]);
      }
    });
  }

  function startGeolocation() {
    if (geoStarted || !document.querySelector("[data-geo]")) return;
    geoStarted = true;
    if (!("geolocation" in navigator)) {
      geoMessage = "この端末では現在地を取得できません。場所の説明を入力してください。";
      fillLocationFields(document);
      return;
    }
    navigator.geolocation.watchPosition(function (pos) {
      lastFix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy };
      geoMessage = "現在地を取得しました（誤差 約" + Math.round(pos.coords.accuracy) + " m）";
      fillLocationFields(document);
    }, function () {
      geoMessage = "現在地を取得できません。自宅・登録した場所を選ぶか、場所の説明を入力してください。";
      fillLocationFields(document);
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  // ---- Chat over the socket ------------------------------------------------
  var UNACKNOWLEDGED_MS = 10000;
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var SESSION_ENDED = 4401;

  function chatOf(elt) { return elt.closest("[data-last-seq]"); }

  function seqOf(message) {
    var match = /data-seq="(\d+)"/.exec(message);
    return match ? parseInt(match[1], 10) : null;
  }

  function clientIdOf(message) {
    var match = /data-client-id="([A-Za-z0-9_-]+)"/.exec(message);
    return match ? match[1] : null;
  }

  function alertUser() {
    // The resident cannot hear a tone: vibrate and flash instead (never sound alone).
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    document.body.classList.remove("flash");
    void document.body.offsetWidth;
    document.body.classList.add("flash");
  }

  function beep() {
    // Dispatchers can hear: a short tone as well as the visual flash.
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio output: the flash still shows */ }
  }

  function addPending(chat, clientId, body) {
    var log = chat.querySelector("#chat-log");
    if (!log) return;
    var item = document.createElement("li");
    item.id = "pending-" + clientId;
    item.className = "event event--message event--mine event--pending";
    var text = document.createElement("p");
    text.className = "event__body";
    text.textContent = body;
    var state = document.createElement("p");
    state.className = "event__meta";
    state.innerHTML = '<span class="event__state" data-state="sending">送信中</span>';
    item.appendChild(text);
    item.appendChild(state);
    log.appendChild(item);
    setTimeout(function () {
      if (!document.getElementById(item.id)) return;
      item.classList.add("event--failed");
      item.querySelector(".event__state").textContent = "まだ届いていません";
      showNotice("メッセージがまだ届いていません。電波の良い場所で待つか、ほかの方法（周りの人に119番を頼む・FAX 119）も使ってください。",
        "Your message has not arrived yet. Please also use another way to call for help.");
    }, UNACKNOWLEDGED_MS);
  }

  function showNotice(ja, en) {
    var notice = document.getElementById("notice");
    if (!notice) return;
    notice.className = "notice notice--error";
    notice.innerHTML = "";
    var p = document.createElement("p");
    p.textContent = ja + " ";
    var span = document.createElement("span");
    span.lang = "en";
    span.className = "en";
    span.textContent = en;
    p.appendChild(span);
    notice.appendChild(p);
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    var chat = chatOf(evt.target);
    if (!chat) return;
    chat.removeAttribute("data-offline");
    evt.detail.socketWrapper.sendImmediately(JSON.stringify({
      type: "resume", after: parseInt(chat.getAttribute("data-last-seq"), 10) || 0
    }));
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var seq = seqOf(evt.detail.message);
    if (seq !== null && document.getElementById("ev-" + seq)) {
      evt.preventDefault();  // already shown: a resume replays from the last sequence we told it
      return;
    }
    var clientId = clientIdOf(evt.detail.message);
    var pending = clientId && document.getElementById("pending-" + clientId);
    if (pending) pending.remove();
  });

  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var chat = chatOf(evt.target);
    if (!chat) return;
    var message = evt.detail.message;
    var seq = seqOf(message);
    if (seq !== null && seq > (parseInt(chat.getAttribute("data-last-seq"), 10) || 0)) {
      chat.setAttribute("data-last-seq", String(seq));
      var viewer = chat.getAttribute("data-viewer");
      if (message.indexOf("event--theirs") >= 0 && viewer === "resident") alertUser();
      if (message.indexOf("event--theirs") >= 0 && viewer === "staff") beep();
    }
    if (message.indexOf("data-alarm") >= 0) { beep(); alertUser(); }
  });

  document.addEventListener("htmx:wsConfigSend", function (evt) {
    var form = evt.target;
    var body = form.querySelector("textarea");
    if (!body || !body.value.trim()) { evt.preventDefault(); return; }
    var clientId = newClientId();
    evt.detail.parameters.client_id = clientId;
    delete evt.detail.parameters.csrf_token;
    delete evt.detail.headers;
    addPending(chatOf(form), clientId, body.value.trim());
    body.value = "";
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var code = evt.detail.event.code;
    var chat = chatOf(evt.target);
    if (chat) chat.setAttribute("data-offline", "");
    if (code === SESSION_ENDED) { window.location.reload(); return; }
    // The extension retries only abnormal closes; a report must stay connected
    // whatever closed it (server restart, proxy timeout, 1000/1001).
    if (RETRIED_BY_EXTENSION.indexOf(code) < 0 && document.body.contains(evt.target)) {
      var wrapper = evt.detail.socketWrapper;
      setTimeout(function () { wrapper.reconnect(); }, 250 + Math.random() * 1500);
    }
  });

  // ---- Map ---------------------------------------------------------------
  // Leaflet is fetched only when a map is on the page (the console's case view),
  // which also works after a boosted navigation, where <head> scripts do not run.
  var leafletLoading = false;

  function loadLeaflet(el) {
    if (leafletLoading) return;
    leafletLoading = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = el.dataset.leafletCss;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = el.dataset.leafletJs;
    script.onload = function () { initMaps(document); };
    document.head.appendChild(script);
  }

  function initMaps(root) {
    var maps = root.querySelectorAll(".map[data-lat]:not(.leaflet-container)");
    if (!maps.length) return;
    if (!window.L) { loadLeaflet(maps[0]); return; }
    // Leaflet guesses its image folder from its stylesheet, which may still be loading.
    L.Icon.Default.imagePath = maps[0].dataset.leafletCss.replace(/leaflet\.css$/, "images/");
    maps.forEach(function (el) {
      var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
      var map = L.map(el, { keyboard: false }).setView([lat, lon], 16);
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
      L.marker([lat, lon], { keyboard: false }).addTo(map);
      var accuracy = parseFloat(el.dataset.accuracy);
      if (accuracy > 0) L.circle([lat, lon], { radius: accuracy }).addTo(map);
    });
  }

  function init() {
    // Capped full jitter: a phone with an open report must be back within seconds.
    if (window.htmx) {
      htmx.config.wsReconnectDelay = function (retry) {
        return Math.random() * Math.min(3000, 250 * Math.pow(2, retry));
      };
    }
    startGeolocation();
    initMaps(document);
  }

  document.addEventListener("htmx:load", function (evt) {
    startGeolocation();
    fillLocationFields(evt.target);
    initMaps(evt.target);
  });
  document.addEventListener("DOMContentLoaded", init);
})();
