// What a page does when the network is gone (SPEC §3.5). It says so at once, with the
// other ways to call for help; and a report that could not be sent is kept on this
// device and sent when the network returns: never silently dropped, never twice.
//
// "Never twice" rests on the server: a report is stored once per client id, so a resend
// of the same id answers with the report already made. This page therefore keeps one
// unsent report at a time, and a second attempt while it waits reuses its id: a panicked
// second tap can never become a second report. It is kept per resident (an opaque name
// from the server): on a shared phone, one resident's report is never sent as another's.
//
// A kept report counts as received only when the answer to it is its chat: a refusal of an
// expired page (CSRF), a login page or a Wi-Fi sign-in page in between leaves it kept. It is
// sent by itself only while it is young (SEND_BY_ITSELF_MS); an older one waits for the
// resident to send it or discard it. A session that ended meanwhile makes it wait for a login.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var REPORTS_URL = script.getAttribute("data-reports");  // where the second tap posts
  var START_URL = script.getAttribute("data-start");
  var KEY = "net119-unsent-report:";
  var RETRY_MS = 5000;
  // A report request on a weak connection gives up after this and is kept for a resend.
  var TIMEOUT_MS = 15000;
  // A kept report older than this is no longer sent by itself. Within half an hour it is
  // still the emergency that made the resident tap, and sending it unasked when the network
  // returns is the point of keeping it. Later the resident may have got help another way or
  // moved on, and an automatic send would reach the HQ as a new emergency at an old place
  // (NET119 may not be opened again for days): the page shows it with its time instead, to
  // be sent or discarded. Measured from the last tap that asked to send it. The notices
  // say "30 minutes" in words (templates/_partials/_connection.html).
  var SEND_BY_ITSELF_MS = 30 * 60 * 1000;

  var unreachable = navigator.onLine === false;
  var sending = false;
  var posting = false;  // the second tap's own request is under way (through htmx)
  var retryTimer = null;
  var memory = null;  // the kept report, also here in case storage is blocked

  // ---- The kept report (localStorage: it survives a reload or a closed tab) ----------
  // Read from the page each time: logging in is a boosted swap, which runs no script again.
  function owner() {
    var region = document.getElementById("connection");
    return region ? region.getAttribute("data-owner") || "" : "";
  }
  function readUnsent() {
    try { return JSON.parse(localStorage.getItem(KEY + owner()) || "null"); } catch (e) { return null; }
  }
  function keep(item) {
    try { localStorage.setItem(KEY + owner(), JSON.stringify(item)); } catch (e) { /* blocked: resent while open */ }
    memory = item;
  }
  function forget() {
    try { localStorage.removeItem(KEY + owner()); } catch (e) { /* nothing kept */ }
    memory = null;
  }
  function unsent() {
    if (!owner()) return null;
    var item = readUnsent() || memory;
    return item && item.owner === owner() ? item : null;
  }
  // No time at all counts as old, and so does one far ahead (the phone's clock was changed).
  function isOld(item) {
    return !(Math.abs(Date.now() - item.at) < SEND_BY_ITSELF_MS);
  }
  // On a page with no resident (the login page): a young report whose session ended while
  // it waited. Whose it is cannot be known here; it goes once its own resident logs in.
  function waitingForLogin() {
    try {
      return Object.keys(localStorage).some(function (key) {
        if (key.indexOf(KEY) !== 0) return false;
        var item = JSON.parse(localStorage.getItem(key) || "null");
        return Boolean(item && item.loggedOut && !isOld(item));
      });
    } catch (e) { return false; }
  }

  function isReportForm(elt) {
    return Boolean(REPORTS_URL && elt && elt.tagName === "FORM" &&
      new URL(elt.getAttribute("action") || "", location.href).pathname === REPORTS_URL);
  }

  // ---- Where an answer landed -----------------------------------------------------------
  // The server answers a stored report with a redirect to its chat (…/reports/<case number>),
  // whether it was made now or by an earlier try whose answer was lost. Nothing else means
  // received: not a page that expired (400), not a login page, not a Wi-Fi sign-in page.
  function ours(url) {
    try {
      var where = new URL(url, location.href);
      return where.origin === location.origin ? where : null;
    } catch (e) { return null; }
  }
  function isChat(url) {
    var where = ours(url);
    if (!where) return false;
    var rest = where.pathname.slice(REPORTS_URL.length);
    return where.pathname.indexOf(REPORTS_URL) === 0 && /^\/[^/]+$/.test(rest);
  }
  function isLogin(url) {
    var region = document.getElementById("connection");
    var login = region && region.getAttribute("data-login");
    var where = ours(url);
    return Boolean(login && where && where.pathname === login);
  }
  // Refused for what it says (the start page again, its reasons above the buttons): sending
  // it again would be refused again. Any other 4xx page (an expired page's) has no report form.
  function isRefusal(status, html) {
    if (status !== 400) return false;
    var doc = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.some.call(doc.querySelectorAll("form"), isReportForm);
  }
  function outcome(status, url, html) {
    if (isChat(url)) return "received";
    if (isRefusal(status, html)) return "refused";
    return status >= 500 || status === 429 ? "later" : "again";
  }

  // A page from the service worker's cache carries the ids of the day it was saved: every
  // page view gets its own, so an old id can never fold a new emergency into an old report.
  function newClientId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function renewClientIds(root) {
    var forms = root.querySelectorAll ? root.querySelectorAll("form") : [];
    Array.prototype.forEach.call(forms, function (form) {
      if (isReportForm(form) && form.elements.client_id) form.elements.client_id.value = newClientId();
    });
  }

  // ---- What the page says ------------------------------------------------------------
  // Each state is a <template id="connection-…"> in both languages (_partials/_connection.html).
  function states(region) {
    var item = unsent();
    // An old report is not this emergency: the page says also whether it can reach the server.
    if (item && isOld(item)) return unreachable ? ["old", "offline"] : ["old"];
    if (item && posting && !region.net119LoggedOut) return ["sending"];
    // Known to have ended only by this page (a new page from the server has a session).
    if (item) return region.net119LoggedOut ? ["login"] : ["unsent"];
    if (!owner() && waitingForLogin()) return ["login"];
    return unreachable ? ["offline"] : [];
  }

  function render() {
    var region = document.getElementById("connection");
    if (!region) return;
    var shown = states(region);
    var state = shown.join(" ");
    if (region.getAttribute("data-state") === state) return;
    region.setAttribute("data-state", state);
    region.innerHTML = "";
    shown.forEach(function (name) {
      var template = document.getElementById("connection-" + name);
      if (template) region.appendChild(template.content.cloneNode(true));
    });
    if (shown[0] === "old") showTime(region, unsent().at);
  }

  // When the old report was kept, in each language's own way ("11月25日(水) 14:05").
  function showTime(region, at) {
    var date = new Date(at);
    Array.prototype.forEach.call(region.querySelectorAll("time[data-kept-at]"), function (time) {
      var japanese = time.getAttribute("data-kept-at") === "ja";
      var options = { month: japanese ? "long" : "short", day: "numeric", weekday: "short",
                      hour: "2-digit", minute: "2-digit" };
      if (date.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
      time.setAttribute("datetime", date.toISOString());
      try {
        time.textContent = date.toLocaleString(japanese ? "ja-JP" : "en-GB", options);
      } catch (e) {
        time.textContent = date.toString();
      }
    });
  }

  function setUnreachable(value) {
    unreachable = value;
    render();
  }

  // ---- The second tap, through htmx ---------------------------------------------------
  document.addEventListener("htmx:configRequest", function (evt) {
    if (!owner() || !isReportForm(evt.detail.elt) || evt.detail.verb !== "post") return;
    // An old kept report is not this emergency: this one is a report of its own, and takes its place.
    var waiting = unsent();
    if (waiting && isOld(waiting)) waiting = null;
    if (waiting) evt.detail.parameters.client_id = waiting.id;
    var fields = [];
    evt.detail.formData.forEach(function (value, name) {
      if (name !== "csrf_token") fields.push([name, name === "client_id" && waiting ? waiting.id : value]);
    });
    // Kept before it is sent: a tab closed mid-request still has it.
    keep({ id: waiting ? waiting.id : evt.detail.parameters.client_id, fields: fields, owner: owner(), at: Date.now() });
    evt.detail.timeout = TIMEOUT_MS;
    // On a slow network the answer can take seconds, and a page that does not change after the
    // tap reads as a tap that failed: it says at once that the report is on its way.
    posting = true;
    render();
    var region = document.getElementById("connection");
    if (region && region.getBoundingClientRect().top < 0) region.scrollIntoView({ block: "start" });
  });

  function answered(xhr) {
    return outcome(xhr.status, xhr.responseURL, xhr.responseText);
  }

  // A report that was not received stays on its page, under the notice that says so: an
  // expired page's "send again", a sign-in page or an error page would only mislead.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var settled = { received: true, refused: true };
    if (!isReportForm(evt.detail.requestConfig.elt)) return;
    if (!settled[answered(evt.detail.xhr)]) evt.detail.shouldSwap = false;
  });

  // Before the swap, while the form is still in the page (events on it reach us).
  document.addEventListener("htmx:beforeOnLoad", function (evt) {
    // An answer (the worker may have given a saved page: the browser knows if it is offline).
    if (isReportForm(evt.detail.elt)) posting = false;
    setUnreachable(navigator.onLine === false);
    if (!isReportForm(evt.detail.elt) || evt.detail.requestConfig.verb !== "post") return;
    var result = answered(evt.detail.xhr);
    // Received, or refused with a reason the page is about to show: nothing to resend.
    if (result === "received" || result === "refused") forget();
    // Too many requests or a server in trouble: resent in a while.
    else if (result === "later") scheduleRetry();
    // An expired page, a login or sign-in page: at once, with a token asked afresh (or a login asked for).
    else sendUnsent();
    render();
  });

  // No answer at all: kept, and resent when the network is back.
  function noAnswer(evt) {
    if (isReportForm(evt.detail.elt)) posting = false;
    setUnreachable(true);
    if (isReportForm(evt.detail.elt)) scheduleRetry();
  }
  // Cut short in the page (not by the network): kept, and sent again in a while.
  document.addEventListener("htmx:sendAbort", function (evt) {
    if (!isReportForm(evt.detail.elt)) return;
    posting = false;
    render();
    scheduleRetry();
  });
  document.addEventListener("htmx:sendError", noAnswer);
  document.addEventListener("htmx:timeout", noAnswer);

  // ---- Sending the kept report -------------------------------------------------------
  function fetchWithTimeout(url, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    options.signal = controller.signal;
    options.credentials = "same-origin";
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  // The session this report was kept in has ended, or the phone is someone else's now.
  function LoggedOut() {}

  // The form's token may be from a saved page, or from a session that has since changed:
  // ask the server for the current one, for the resident the report belongs to.
  function freshToken(item) {
    return fetchWithTimeout(START_URL, { cache: "no-store" }).then(function (response) {
      if (response.redirected && isLogin(response.url)) throw new LoggedOut();
      if (!response.ok || response.redirected) throw new Error("start page: " + response.status);
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var input = doc.querySelector("input[name=csrf_token]");
      var region = doc.getElementById("connection");
      if (!input || !region) throw new Error("not the start page");
      if (region.getAttribute("data-owner") !== item.owner) throw new LoggedOut();
      return input.value;
    });
  }

  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.body.innerHTML = doc.body.innerHTML;
    if (window.htmx) window.htmx.process(document.body);
  }

  // The session ended (or another resident's began): the report waits, said so on this page
  // and on the login page, and goes when its resident has logged in (the page after the login
  // sends it). No retries meanwhile: they could only be refused again.
  function waitForLogin(item) {
    loggedOutHere(true);
    markLoggedOut(item, true);
    render();
  }
  function loggedOutHere(value) {
    var region = document.getElementById("connection");
    if (region) region.net119LoggedOut = value;
  }
  // On the report as it is kept now: it may have been discarded while the server was asked.
  function markLoggedOut(item, value) {
    var current = unsent();
    if (!current || current.id !== item.id || Boolean(current.loggedOut) === value) return;
    if (value) current.loggedOut = true; else delete current.loggedOut;
    keep(current);
  }

  function sendUnsent() {
    var item = unsent();
    if (sending || !item) return;
    if (isOld(item)) { render(); return; }  // the resident decides (SEND_BY_ITSELF_MS)
    sending = true;
    freshToken(item).then(function (token) {
      loggedOutHere(false);
      markLoggedOut(item, false);
      var body = new URLSearchParams(item.fields);
      body.set("client_id", item.id);
      body.set("csrf_token", token);
      return fetchWithTimeout(REPORTS_URL, { method: "POST", body: body });
    }).then(function (response) {
      if (response.redirected && isLogin(response.url)) throw new LoggedOut();
      return response.text().then(function (html) {
        var result = outcome(response.status, response.url, html);
        if (result === "received") {
          // Now, or by an earlier try whose answer was lost: open its chat.
          forget();
          window.location.assign(response.url);
        } else if (result === "refused") {
          forget();
          showAnswer(html);
        } else {
          throw new Error("not received: " + response.status);
        }
      });
    }).then(function () {
      setUnreachable(false);
    }, function (error) {
      if (error instanceof LoggedOut) {
        setUnreachable(false);
        waitForLogin(item);
        return;
      }
      setUnreachable(true);
      scheduleRetry();
    }).finally(function () { sending = false; });
  }

  function scheduleRetry() {
    if (retryTimer || !unsent()) return;
    retryTimer = setTimeout(function () { retryTimer = null; sendUnsent(); }, RETRY_MS);
  }

  // The resident sends an old report after all: it is this emergency now. Its position is
  // replaced by the one this page has now, or left out (the chat sends one as soon as it
  // has it): a fix from long ago could send help to where the resident no longer is.
  function sendOldNow() {
    var item = unsent();
    if (!item) return;
    var fix = {};
    Array.prototype.forEach.call(document.querySelectorAll("input[data-geo]"), function (input) {
      if (input.value && !fix[input.name]) fix[input.name] = input.value;
    });
    var fields = item.fields.filter(function (field) { return !/^(lat|lon|accuracy)$/.test(field[0]); });
    if (fix.lat && fix.lon) {
      ["lat", "lon", "accuracy"].forEach(function (name) { if (fix[name]) fields.push([name, fix[name]]); });
    }
    item.fields = fields;
    item.at = Date.now();
    keep(item);
    render();
    sendUnsent();
  }

  // ---- Wiring -------------------------------------------------------------------------
  document.addEventListener("click", function (evt) {
    if (!evt.target.closest) return;
    if (evt.target.closest("[data-unsent-send]")) {
      sendOldNow();
      return;
    }
    var cancel = evt.target.closest("[data-unsent-cancel]");
    if (cancel && window.confirm(cancel.getAttribute("data-confirm"))) {
      forget();
      render();
    }
  });
  window.addEventListener("online", function () { setUnreachable(false); sendUnsent(); });
  // Back from another tab or app, where the resident may have logged in again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sendUnsent();
  });
  window.addEventListener("offline", function () { setUnreachable(true); });
  document.addEventListener("htmx:load", function (evt) {
    renewClientIds(evt.target);
    // A boosted navigation replaced the body: say again what is true.
    var region = document.getElementById("connection");
    if (region && !region.hasChildNodes()) region.removeAttribute("data-state");
    render();
    // Logging in is such a swap too: a report kept for this resident goes now.
    sendUnsent();
  });
  document.addEventListener("DOMContentLoaded", function () {
    renewClientIds(document);
    render();
    sendUnsent();
  });
})();
