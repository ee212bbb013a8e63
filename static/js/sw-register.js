// Registers the service worker (static/js/sw.js: the app shell, the start pages and
// the proxy-call card for offline use, SPEC §3.5 and §5), and asks it to refresh the
// resident's saved pages whenever a page is shown, so that they are saved before they
// are needed. Pages work the same without it.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  var workerUrl = script.getAttribute("data-service-worker");

  function askForRefresh() {
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "refresh-card" });
    });
  }

  // The worker answers when the card is saved; tests and styles can look for it.
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "card-saved") {
      document.documentElement.setAttribute("data-card-saved", event.data.saved ? "yes" : "no");
    }
  });

  function register() {
    navigator.serviceWorker.register(workerUrl).then(askForRefresh, function () {
      // No worker (private mode, an old browser): the card still works online.
    });
  }
  // After the page has loaded: the worker's start and its saving must not slow the first paint
  // and the first tap of someone reporting right now.
  if (document.readyState === "complete") register(); else window.addEventListener("load", register);
  // A boosted navigation (logging in or out, for example) loads no new page: refresh then too.
  document.addEventListener("htmx:pushedIntoHistory", askForRefresh);
})();
