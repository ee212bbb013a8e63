// What a page does when the network is gone (SPEC §3.5). It says so at once, with the
// other ways to call for help; and a report that could not be sent is kept on this
// device and sent when the network returns: never silently dropped, never twice.
//
// "Never twice" rests on the server: a report is stored once per client id, so a resend
// of the same id answers with the report already made. This page therefore keeps one
// unsent report at a time, and a second attempt while it waits reuses its id: a panicked
// second tap can never become a second report. It is kept per resident (an opaque name
// from the server): on a shared phone, one resident's report is never sent as another's.
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

  var unreachable = navigator.onLine === false;
  var sending = false;
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

  function isReportForm(elt) {
    return Boolean(REPORTS_URL && elt && elt.tagName === "FORM" &&
      new URL(elt.getAttribute("action") || "", location.href).pathname === REPORTS_URL);
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
  function render() {
    var region = document.getElementById("connection");
    if (!region) return;
    var state = unsent() ? "unsent" : unreachable ? "offline" : "";
    if (region.getAttribute("data-state") === state) return;
    region.setAttribute("data-state", state);
    region.innerHTML = "";
    var template = state && document.getElementById("connection-" + state);
    if (template) region.appendChild(template.content.cloneNode(true));
  }

  function setUnreachable(value) {
    unreachable = value;
    render();
  }

  // ---- The second tap, through htmx ---------------------------------------------------
  document.addEventListener("htmx:configRequest", function (evt) {
    if (!owner() || !isReportForm(evt.detail.elt) || evt.detail.verb !== "post") return;
    var waiting = unsent();
    if (waiting) evt.detail.parameters.client_id = waiting.id;
    var fields = [];
    evt.detail.formData.forEach(function (value, name) {
      if (name !== "csrf_token") fields.push([name, name === "client_id" && waiting ? waiting.id : value]);
    });
    // Kept before it is sent: a tab closed mid-request still has it.
    keep({ id: waiting ? waiting.id : evt.detail.parameters.client_id, fields: fields, owner: owner(), at: Date.now() });
    evt.detail.timeout = TIMEOUT_MS;
  });

  // A report the server could not take stays on its page, under the notice that says so.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (isReportForm(evt.detail.requestConfig.elt) && (status >= 500 || status === 429)) evt.detail.shouldSwap = false;
  });

  // Before the swap, while the form is still in the page (events on it reach us).
  document.addEventListener("htmx:beforeOnLoad", function (evt) {
    // An answer (the worker may have given a saved page: the browser knows if it is offline).
    setUnreachable(navigator.onLine === false);
    if (!isReportForm(evt.detail.elt) || evt.detail.requestConfig.verb !== "post") return;
    var status = evt.detail.xhr.status;
    // Received, or refused with a reason the page is about to show (400): nothing to resend.
    // Too many requests or a server in trouble: kept and resent.
    if (status < 500 && status !== 429) forget(); else scheduleRetry();
    render();
  });

  // No answer at all: kept, and resent when the network is back.
  function noAnswer(evt) {
    setUnreachable(true);
    if (isReportForm(evt.detail.elt)) scheduleRetry();
  }
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

  // The form's token may be from a saved page: ask the server for the current one.
  function freshToken() {
    return fetchWithTimeout(START_URL, { cache: "no-store" }).then(function (response) {
      if (!response.ok || response.redirected) throw new Error("start page: " + response.status);
      return response.text();
    }).then(function (html) {
      var input = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=csrf_token]");
      if (!input) throw new Error("no token");
      return input.value;
    });
  }

  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.body.innerHTML = doc.body.innerHTML;
    if (window.htmx) window.htmx.process(document.body);
  }

  function sendUnsent() {
    var item = unsent();
    if (sending || !item) return;
    sending = true;
    freshToken().then(function (token) {
      var body = new URLSearchParams(item.fields);
      body.set("client_id", item.id);
      body.set("csrf_token", token);
      return fetchWithTimeout(REPORTS_URL, { method: "POST", body: body });
    }).then(function (response) {
      if (response.ok && response.redirected) {
        // Received (now, or by an earlier try whose answer was lost): open its chat.
        forget();
        window.location.assign(response.url);
        return;
      }
      if (response.status === 400) {
        forget();
        return response.text().then(showAnswer);
      }
      throw new Error("not received: " + response.status);
    }).then(function () {
      setUnreachable(false);
    }, function () {
      setUnreachable(true);
      scheduleRetry();
    }).finally(function () { sending = false; });
  }

  function scheduleRetry() {
    if (retryTimer || !unsent()) return;
    retryTimer = setTimeout(function () { retryTimer = null; sendUnsent(); }, RETRY_MS);
  }

  // ---- Wiring -------------------------------------------------------------------------
  document.addEventListener("click", function (evt) {
    var cancel = evt.target.closest && evt.target.closest("[data-unsent-cancel]");
    if (!cancel) return;
    if (window.confirm(cancel.getAttribute("data-confirm"))) {
      forget();
      render();
    }
  });
  window.addEventListener("online", function () { setUnreachable(false); sendUnsent(); });
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
