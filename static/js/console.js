// NET119 dispatcher console: canned phrases through the chat socket, keyboard shortcuts,
// the queue's alarm (never missed, never silent without saying so) and its connection.
// Every action is a plain form without this file.
(function () {
  "use strict";
  // Boosted navigation runs this script again on every console page it swaps in.
  if (window.net119Console) return;
  window.net119Console = true;

  var SHORTCUTS_KEY = "net119-console-shortcuts";
  var shortcutsOn = true;
  try { shortcutsOn = localStorage.getItem(SHORTCUTS_KEY) !== "off"; } catch (e) { /* storage blocked: on */ }

  function isTextField(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || el.isContentEditable) return true;
    if (tag !== "input") return false;
    return ["button", "submit", "reset", "checkbox", "radio", "hidden", "file", "image", "range", "color"]
      .indexOf((el.type || "text").toLowerCase()) < 0;
  }

  // A canned phrase goes out through the chat's socket and outbox (送信中 -> 届きました),
  // like a typed reply, by the hidden #phrase-send form; the reply box is left alone.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches(".phrases__form")) return;
    var sender = document.getElementById("phrase-send");
    // Until htmx has wired the form to the socket, the phrase's own plain form post sends it.
    // Once wired, a closed socket is no reason to fall back: the outbox keeps the phrase
    // (送信中) and sends it as the socket opens, as it does a typed reply.
    if (!sender || !sender["htmx-internal-data"] || !sender.requestSubmit) return;  // Safari < 16: plain post
    evt.preventDefault();
    evt.stopPropagation();
    sender.querySelector("textarea").value = form.getAttribute("data-phrase");
    sender.requestSubmit();
  }, true);

  // A boosted action (claim, a status stage, a question) redraws the page; a reply
  // being typed meanwhile must survive it. Not after sending the reply itself.
  var draft = "";
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var reply = document.querySelector("#compose textarea");
    var from = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    draft = reply && !(from && from.closest && from.closest("#compose")) ? reply.value : "";
  });
  document.addEventListener("htmx:afterSettle", function () {
    var reply = document.querySelector("#compose textarea");
    if (draft && reply && !reply.value) reply.value = draft;
    draft = "";
  });

  // D, E and A tell the resident how far help has come, and they act on it: a stray key must
  // not say so. The first press asks, on screen; the same key again within a few seconds
  // sends; any other key, or the time running out, lets it go.
  var ASKED_AGAIN = { d: true, e: true, a: true };
  var ASKED_FOR_MS = 5000;
  var asking = null;

  function stopAsking() {
    if (!asking) return;
    clearTimeout(asking.timer);
    if (asking.prompt.parentNode) asking.prompt.parentNode.removeChild(asking.prompt);
    asking = null;
  }

  function askAgain(key, button) {
    stopAsking();
    var label = button.cloneNode(true);
    label.querySelectorAll("kbd").forEach(function (kbd) { kbd.parentNode.removeChild(kbd); });
    var prompt = document.createElement("p");
    prompt.className = "shortcut-confirm";
    prompt.setAttribute("role", "alert");
    prompt.textContent = "もう一度 " + key.toUpperCase() + " を押すと「" + label.textContent.trim() +
      "」を通報者に知らせます。ほかのキーで取り消します。 ";
    var en = document.createElement("span");
    en.lang = "en";
    en.className = "en";
    en.textContent = "Press " + key.toUpperCase() + " again to tell the reporter; any other key cancels.";
    prompt.appendChild(en);
    (document.getElementById("main") || document.body).appendChild(prompt);
    asking = { key: key, prompt: prompt, timer: setTimeout(stopAsking, ASKED_FOR_MS) };
  }

  function press(key) {
    // R and Q: the reply and question boxes (text fields drawn by the shared field macro).
    var target = key === "r" ? document.querySelector("#compose textarea")
      : key === "q" ? document.getElementById("ask-body")
      : document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) return false;
    if (!target.matches("button, a")) { target.focus(); return true; }
    if (ASKED_AGAIN[key] && !(asking && asking.key === key)) { askAgain(key, target); return true; }
    stopAsking();
    target.click();
    return true;
  }

  var MODIFIERS = ["Shift", "Control", "Alt", "Meta", "CapsLock"];
  document.addEventListener("keydown", function (evt) {
    var el = evt.target;
    var key = evt.key && evt.key.length === 1 ? evt.key.toLowerCase() : evt.key;
    if (asking && key !== asking.key && MODIFIERS.indexOf(evt.key) < 0) stopAsking();
    if (isTextField(el)) {
      if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && el.form && el.form.requestSubmit) {
        evt.preventDefault();
        if (!evt.repeat) el.form.requestSubmit();
      } else if (evt.key === "Escape") {
        el.blur();
      }
      return;
    }
    // A key held down repeats: one press is one action. A key that is part of composing
    // (an IME turning kana into kanji, keyCode 229) is never a shortcut.
    if (evt.repeat || evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing || evt.keyCode === 229 ||
        !shortcutsOn) return;
    if (!document.querySelector("[data-shortcuts]")) return;
    if (press(key)) evt.preventDefault();
  });
  // A page redrawn is another page: what was asked there is not asked here.
  document.addEventListener("htmx:beforeSwap", stopAsking);

  // WCAG 2.1.4: single-key shortcuts can be turned off.
  function initToggle(root) {
    root.querySelectorAll("[data-shortcuts-toggle]").forEach(function (box) {
      box.closest("[hidden]") && box.closest("[hidden]").removeAttribute("hidden");
      box.checked = shortcutsOn;
      box.addEventListener("change", function () {
        shortcutsOn = box.checked;
        try { localStorage.setItem(SHORTCUTS_KEY, box.checked ? "on" : "off"); } catch (e) { /* kept for this page */ }
      });
    });
  }
  document.addEventListener("htmx:load", function (evt) { initToggle(evt.target); });
  initToggle(document);

  // The queue's "minutes since the report" keeps counting between pushes, by this clock
  // (also on a queue just drawn, so the count does not jump back and forth).
  function countMinutes(root) {
    root.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isFinite(since)) el.textContent = Math.max(0, Math.floor((Date.now() - since) / 60000)) + "分経過";
    });
  }
  setInterval(function () { countMinutes(document); }, 15000);

  // ---- The queue's alarm -------------------------------------------------------
  // The server alarms as a case arrives, but a queue drawn otherwise carries no alarm: the
  // resume after a reconnect, a page swapped in, a reload. So this tab remembers what it has
  // alarmed for (each report's id, with its unread count) and alarms whenever a queue shows
  // more: a report new to this tab, or a count that rose. Remembered for the tab's life in
  // sessionStorage, so a reload does not alarm again; in memory where storage is refused.
  var ALERTED_KEY = "net119-queue-alerted";
  var alertedHere = null;

  function readAlerted() {
    try {
      var kept = sessionStorage.getItem(ALERTED_KEY);
      if (kept !== null) return JSON.parse(kept);
    } catch (e) { /* refused or unreadable: this page's copy */ }
    return alertedHere;
  }

  function writeAlerted(alerted) {
    alertedHere = alerted;
    try { sessionStorage.setItem(ALERTED_KEY, JSON.stringify(alerted)); } catch (e) { /* kept in memory */ }
  }

  // The case on screen tells of its own messages (its chat sounds); its row need not.
  function onScreen(row) {
    var link = row.querySelector("a[href]");
    return !!link && link.pathname === location.pathname;
  }

  function checkQueue(queue) {
    if (!queue || queue._net119Checked) return;
    queue._net119Checked = true;
    countMinutes(queue);
    var before = readAlerted();
    var now = {};
    var news = queue.hasAttribute("data-alarm");
    queue.querySelectorAll("[data-report-id]").forEach(function (row) {
      var id = row.getAttribute("data-report-id");
      var unread = parseInt(row.getAttribute("data-unread"), 10) || 0;
      now[id] = unread;
      // A tab's first queue alarms for what nobody has opened; after that, for anything new to it.
      if (!before || !Object.prototype.hasOwnProperty.call(before, id)) {
        if (before || row.hasAttribute("data-unopened")) news = true;
      } else if (unread > before[id] && !onScreen(row)) {
        news = true;
      }
    });
    writeAlerted(now);  // reports gone from the queue are forgotten: one handed back is news again
    if (news) raiseAlarm(queue);
  }

  // One alarm for one drawing of the queue, however many of its frames say so.
  function raiseAlarm(queue) {
    if (queue._net119Alarmed) return;
    queue._net119Alarmed = true;
    queue.classList.add("queue--alarm");
    if (window.NET119 && window.NET119.alarm) window.NET119.alarm();
    lastTone = Date.now();
    keepAlarming();
  }

  // ---- Until someone opens it ---------------------------------------------------
  // While a report in the queue is unopened the tone comes again every few seconds and the
  // title says so, which is what a tab in the background shows.
  var REPEAT_MS = 5000;
  var NEW_MARK = "【新着】";
  var lastTone = 0;

  function sound() { return window.NET119 && window.NET119.sound; }

  function keepAlarming() {
    var unopened = !!document.querySelector("#queue [data-unopened]");
    var title = document.title, marked = title.indexOf(NEW_MARK) === 0;
    if (unopened && !marked) document.title = NEW_MARK + title;
    else if (!unopened && marked) document.title = title.slice(NEW_MARK.length);
    if (unopened && sound() && Date.now() - lastTone >= REPEAT_MS) {
      lastTone = Date.now();
      sound().beep();
    }
  }

  // A live region says something by being filled (with its <template>'s words) and emptied.
  function say(regionId, shown) {
    var region = document.getElementById(regionId);
    var words = document.getElementById(regionId + "-words");
    if (!region || !words) return;
    if (shown && !region.firstElementChild) region.appendChild(words.content.cloneNode(true));
    else if (!shown && region.firstElementChild) region.textContent = "";
  }

  // ---- A sound that is off -------------------------------------------------------
  // A browser keeps a page's sound off until the user presses something on it (after a
  // reload, say): the alarm would be silent and nobody would know. So the console says so,
  // with a button that turns it on, for as long as it is off; any press does it as well.
  function showSoundOff() {
    if (sound()) say("sound-off", !sound().isOn());
  }

  function turnSoundOn(confirm) {
    if (!sound() || !document.getElementById("sound-off")) return;
    if (sound().isOn() && !confirm) return;
    sound().turnOn().then(function (on) {
      showSoundOff();
      if (on && confirm) sound().beep();  // heard: it works
    });
  }

  function onSoundButton(evt) { return !!(evt.target.closest && evt.target.closest("[data-sound-on]")); }
  ["pointerdown", "keydown"].forEach(function (type) {
    // The button's own press is left to its click, which plays a tone to show it worked.
    document.addEventListener(type, function (evt) { if (!onSoundButton(evt)) turnSoundOn(false); }, true);
  });
  document.addEventListener("click", function (evt) { if (onSoundButton(evt)) turnSoundOn(true); });

  // ---- A console that cannot hear the server ----------------------------------------
  // A socket can die without closing (a network gone quiet: the browser may not know for
  // many minutes), so the queue is asked for when its socket has said nothing for a while;
  // no answer, and the socket is taken for lost and made again. Lost for more than a few
  // seconds, the console says so. Meanwhile the console page is fetched: the session has
  // ended when it answers with the login (the server refuses such a page's socket, so it
  // would never come back), and the page is loaded again to show it; otherwise its queue
  // is drawn, and alarmed for, as the socket would have.
  var QUIET_MS = 5000;
  var ANSWER_MS = 4000;
  var LOST_AFTER_MS = 3000;
  var FETCH_EVERY_MS = 10000;

  function queueSocket() { return document.querySelector(".queue-socket[ws-connect]"); }

  function lostSince(el) {
    // _net119DownSince: app.js's mark of a socket not open (connecting, or closed).
    var since = [el._net119DownSince, el._net119Silent].filter(Boolean);
    return since.length ? Math.min.apply(Math, since) : 0;
  }

  function watchConnection() {
    var el = queueSocket();
    if (!el) return;
    var now = Date.now();
    if (el._net119 && !el._net119DownSince) {
      var heard = el._net119Heard || 0, asked = el._net119Asked || 0;
      if (asked > heard && now - asked >= ANSWER_MS) {
        el._net119Silent = asked;
        el._net119Asked = 0;
        el._net119.wrapper.reconnect();
        // The case's chat on this page went quiet with it: made again, it resumes and sends its outbox.
        document.querySelectorAll('[data-viewer="staff"]').forEach(function (chat) {
          if (chat._net119) chat._net119.wrapper.reconnect();
        });
      } else if (asked <= heard && now - heard >= QUIET_MS) {
        el._net119Asked = now;
        el._net119.wrapper.send(JSON.stringify({ type: "resume", after: 0 }));
      }
    }
    var since = lostSince(el);
    var lost = since > 0 && now - since >= LOST_AFTER_MS;
    say("queue-lost", lost);
    if (lost && now - (el._net119Fetched || 0) >= FETCH_EVERY_MS) {
      el._net119Fetched = now;
      fetchQueue(el);
    }
  }

  function fetchQueue(el) {
    var url = el.getAttribute("data-console-url");
    if (!url || !window.fetch || !window.DOMParser) return;
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname !== new URL(url, location.href).pathname) {
        window.location.reload();  // to the login, and back here after it
        return;
      }
      if (!response.ok) return;
      return response.text().then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue");
        var queue = document.getElementById("queue");
        if (!fresh || !queue || !el.contains(queue) || !lostSince(el)) return;  // back meanwhile
        queue.parentNode.replaceChild(document.importNode(fresh, true), queue);
        queue = document.getElementById("queue");
        if (window.htmx) htmx.process(queue);
        checkQueue(queue);
        keepAlarming();
      });
    }).catch(function () { /* no network: asked again in a while */ });
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    var el = evt.target;
    if (el !== queueSocket() || evt.detail.event.target._net119Replaced) return;  // app.js closes that one
    el._net119Heard = Date.now();
    el._net119Asked = 0;
    el._net119Silent = 0;
    el._net119Frames = {};
    say("queue-lost", false);
  });

  // Every frame says the socket is alive; one the same as the last of its kind (the answer
  // to being asked, mostly) is not drawn again, which would only move the page under the reader.
  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var el = evt.target;
    if (el !== queueSocket()) return;
    el._net119Heard = Date.now();
    var message = evt.detail.message;
    var kind = (/\bid="([^"]+)"/.exec(message) || [])[1] || "";
    var frames = el._net119Frames = el._net119Frames || {};
    if (frames[kind] === message) evt.preventDefault();
    frames[kind] = message;
  });

  // ---- A console left open stays logged in ------------------------------------------
  // Its sockets renew no session, and a night without a report makes no request: the session
  // would end (STAFF_SESSION_LIFETIME), the socket close and the login stand where the next
  // alarm should be. So an open console page asks for its session as often as the server says,
  // which renews it well before it ends; a page closed asks nothing and its session ends as before.
  // Counted on this 1-second clock, not a long timer: a timer a sleeping or busy tab delays is
  // late by as much, a comparison with the time is not.
  var sessionAskedAt = Date.now();  // the page itself was a request

  function keepSession() {
    var el = queueSocket();
    var every = el && parseInt(el.getAttribute("data-session-every-ms"), 10);
    var url = el && el.getAttribute("data-session-url");
    if (!url || !(every > 0) || !window.fetch || Date.now() - sessionAskedAt < every) return;
    sessionAskedAt = Date.now();
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      // Ended all the same (logged out elsewhere, suspended): the login, and back here after it.
      if (response.redirected) window.location.reload();
    }).catch(function () { /* no network: asked again in a while, long before the session ends */ });
  }

  setInterval(function () {
    showSoundOff();
    keepAlarming();
    watchConnection();
    keepSession();
  }, 1000);

  document.addEventListener("htmx:load", function (evt) {
    var root = evt.target;
    checkQueue(root.id === "queue" ? root : root.querySelector && root.querySelector("#queue"));
    showSoundOff();
  });
  document.addEventListener("htmx:afterSettle", function () { keepAlarming(); });
  // The queue's socket may send more than the queue, alarmed by the server (a resident who
  // wrote: dispatch/_queue_news.html); each frame is swapped in (htmx:load) before this.
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var queue = document.getElementById("queue");
    if (queue && evt.target.contains(queue) && evt.detail.message.indexOf("data-alarm") >= 0) raiseAlarm(queue);
  });
  checkQueue(document.getElementById("queue"));
  showSoundOff();
  keepAlarming();

  // ---- The chat on a desk's monitor ---------------------------------------------
  // There the log scrolls inside its own column (app.css). It opens at the newest message and
  // stays there as messages come, unless the dispatcher has scrolled up to read an older one:
  // then it stays put (a log that jumps loses their place), until they send something
  // themselves. A log that scrolls is in the Tab order, for its keys.
  // Whether it scrolls is asked of one media query, with one listener, for the page's life:
  // a boosted navigation keeps the document, and a shift opens hundreds of cases in it, each
  // with a new log; the listener finds the log on screen when the width changes. (A log's own
  // listeners, on the log, go with it.)
  var wideScreen = window.matchMedia ? window.matchMedia("(min-width: 75rem)") : null;

  function focusable(log) {
    if (wideScreen && wideScreen.matches) log.setAttribute("tabindex", "0"); else log.removeAttribute("tabindex");
  }

  if (wideScreen) {
    var onWidth = function () {
      // Between a swap and its settle, a new log wears the old one's attributes; htmx:load,
      // after the settle, sets its own (keepAtNewest).
      var log = document.getElementById("chat-log");
      if (log && log._net119Kept) focusable(log);
    };
    if (wideScreen.addEventListener) wideScreen.addEventListener("change", onWidth); else wideScreen.addListener(onWidth);
  }

  function keepAtNewest(log) {
    if (!log || log._net119Kept) return;
    log._net119Kept = true;
    var atNewest = true;
    function toNewest() { log.scrollTop = log.scrollHeight; atNewest = true; }
    log.addEventListener("scroll", function () {
      atNewest = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    });
    new MutationObserver(function (changes) {
      var mine = changes.some(function (change) {
        return Array.prototype.some.call(change.addedNodes, function (node) {
          return node.classList && node.classList.contains("event--mine");
        });
      });
      if (atNewest || mine) toNewest();
    }).observe(log, { childList: true });
    focusable(log);
    toNewest();
  }
  document.addEventListener("htmx:load", function (evt) {
    var root = evt.target;
    keepAtNewest(root.id === "chat-log" ? root : root.querySelector && root.querySelector("#chat-log"));
  });
  // A case opened by a boosted link is on the page at the swap, but htmx:load comes with the
  // settle (htmx's settle delay, 20 ms, later): meanwhile its log would scroll outside the Tab
  // order, which is what an accessibility scan, or a quick Tab, would meet. So at the swap too.
  document.addEventListener("htmx:afterSwap", function () { keepAtNewest(document.getElementById("chat-log")); });
  keepAtNewest(document.getElementById("chat-log"));

  // ---- The map's trail --------------------------------------------------------
  // Location updates arrive in the chat log as events carrying lat/lon/accuracy:
  // the map (drawn by app.js) gets the trail, the marker and circle move to the
  // newest fix, and the place section says where that is in words and numbers.
  function fixes() {
    var points = [];
    document.querySelectorAll("#chat-log .event--location[data-lat]").forEach(function (li) {
      var lat = parseFloat(li.getAttribute("data-lat")), lon = parseFloat(li.getAttribute("data-lon"));
      if (isFinite(lat) && isFinite(lon)) {
        points.push({ lat: lat, lon: lon, accuracy: parseFloat(li.getAttribute("data-accuracy")) });
      }
    });
    return points;
  }

  function drawTrail(el) {
    var drawn = el && el._net119Map;
    if (!drawn || !window.L) return;
    var points = fixes();
    var path = [[parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)]].concat(
      points.map(function (p) { return [p.lat, p.lon]; }));
    if (!drawn.trail) drawn.trail = L.polyline(path, { weight: 4, dashArray: "6 6" }).addTo(drawn.map);
    else drawn.trail.setLatLngs(path);
    var latest = points[points.length - 1];
    if (!latest) return;
    drawn.marker.setLatLng([latest.lat, latest.lon]);
    if (drawn.circle) drawn.circle.setLatLng([latest.lat, latest.lon]);
    if (isFinite(latest.accuracy) && latest.accuracy > 0) {
      if (drawn.circle) drawn.circle.setRadius(latest.accuracy);
      else drawn.circle = L.circle([latest.lat, latest.lon], { radius: latest.accuracy }).addTo(drawn.map);
    }
    drawn.map.panTo([latest.lat, latest.lon]);
  }

  function showLatest(message) {
    var target = document.getElementById("latest-fix");
    var lat = parseFloat(/data-lat="([^"]+)"/.exec(message)[1]), lon = parseFloat(/data-lon="([^"]+)"/.exec(message)[1]);
    var accuracy = parseFloat((/data-accuracy="([^"]+)"/.exec(message) || [])[1]);
    if (!target || !isFinite(lat) || !isFinite(lon)) return;
    target.textContent = "北緯 " + lat.toFixed(5) + "・東経 " + lon.toFixed(5) +
      (isFinite(accuracy) ? "（誤差 約" + Math.round(accuracy) + " m）" : "") +
      "・" + window.NET119.japanClock(new Date()) + " 更新";
  }

  document.addEventListener("net119:map", function (evt) { drawTrail(evt.target); });
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var message = evt.detail.message;
    if (message.indexOf("event--location") < 0 || message.indexOf("data-lat=") < 0) return;
    showLatest(message);
    var map = document.getElementById("map");
    if (map && !map.hasAttribute("data-lat") && window.NET119 && window.NET119.initMaps) {
      // The report came without a fix: this first update is where the map starts.
      var latest = fixes().pop();
      if (!latest) return;
      map.setAttribute("data-lat", latest.lat);
      map.setAttribute("data-lon", latest.lon);
      map.setAttribute("data-accuracy", isFinite(latest.accuracy) ? latest.accuracy : 0);
      map.closest("figure").hidden = false;
      window.NET119.initMaps(map.parentNode);  // draws the trail too (net119:map)
      return;
    }
    drawTrail(map);
  });
  drawTrail(document.getElementById("map"));
})();
