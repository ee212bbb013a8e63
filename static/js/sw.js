// NET119 service worker. The server prepends self.NET119 = {manifest, card, audio,
// assets}: every path comes from the app's url_for.
//
// Today it has one job (SPEC §5): keep the proxy-call card, so that it works with no
// network at all. It is deliberately small and conservative:
// - it answers only the GET requests listed in ROUTES; everything else (POSTs, sockets,
//   /reports/*, /dispatch/*, /admin/*) goes to the network untouched;
// - it keeps only the current resident's own cards, named by the server's manifest, and
//   forgets them when the manifest names another resident or nobody (logged out);
// - caches are versioned; an activated worker deletes every NET119 cache it does not use.
// The app shell (another issue) will add its own cache to CACHES and its own ROUTES.
"use strict";

var CONFIG = self.NET119;
var CARD_CACHE = "net119-card-v1";
var CACHES = [CARD_CACHE];
// A card on a weak connection must not wait for the network longer than this.
var NETWORK_TIMEOUT_MS = 4000;

// ---- Routing -------------------------------------------------------------
// First match wins; a request that matches nothing is not intercepted at all.
var ROUTES = [
  { match: isCardPage, handle: cardPage },
  { match: isCardAudio, handle: cardAudio },
  { match: isCardAsset, handle: networkFirst },
];

function isCardPage(request, url) {
  return request.mode === "navigate" && url.pathname === CONFIG.card;
}

function isCardAudio(request, url) {
  return CONFIG.audio.indexOf(url.pathname) >= 0;
}

function isCardAsset(request, url) {
  return CONFIG.assets.indexOf(url.pathname) >= 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  for (var i = 0; i < ROUTES.length; i++) {
    if (ROUTES[i].match(request, url)) {
      event.respondWith(ROUTES[i].handle(request, url));
      return;
    }
  }
});

// ---- Strategies ----------------------------------------------------------

function fetchWithTimeout(request) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, NETWORK_TIMEOUT_MS);
  return fetch(request, { signal: controller.signal }).finally(function () { clearTimeout(timer); });
}

// The card from the server when it answers (it knows about a report opened a moment
// ago); otherwise, or when the server is in trouble (5xx), the saved card that fits best.
function cardPage(request, url) {
  return fetchWithTimeout(request).then(function (response) {
    if (response.status < 500) return response;
    return savedCard(url).then(function (saved) { return saved || response; });
  }, function () {
    return savedCard(url).then(function (saved) { return saved || Response.error(); });
  });
}

function savedCard(url) {
  return caches.open(CARD_CACHE).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true }).then(function (exact) {
      if (exact) return exact;
      return savedManifest(cache).then(function (manifest) {
        var pages = manifest.pages || {};
        // A card for a place here and now cannot be known offline: the card without a
        // place is the honest one. Anything else falls back to the latest card, then home.
        var order = url.searchParams.get("place") === "here"
          ? [pages.generic] : [pages["default"], pages.home, pages.generic];
        return firstMatch(cache, order.filter(Boolean));
      });
    });
  });
}

function firstMatch(cache, urls) {
  if (!urls.length) return Promise.resolve(undefined);
  return cache.match(urls[0], { ignoreVary: true }).then(function (found) {
    return found || firstMatch(cache, urls.slice(1));
  });
}

// Audio URLs carry the speech key, so a saved copy is always the right one. A failure
// reaches the page, whose script then reads the words with the browser's own voice.
function cardAudio(request, url) {
  return caches.open(CARD_CACHE).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true }).then(function (saved) {
      if (!saved) return fetch(request);
      return withRange(saved, request.headers.get("Range"));
    });
  });
}

// Safari asks for media in byte ranges and will not play a whole answer to one.
function withRange(response, range) {
  var match = range && /^bytes=(\d+)-(\d*)$/.exec(range);
  if (!match) return response;
  return response.arrayBuffer().then(function (body) {
    var start = parseInt(match[1], 10);
    var end = match[2] ? Math.min(parseInt(match[2], 10), body.byteLength - 1) : body.byteLength - 1;
    if (start > end) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + body.byteLength } });
    }
    return new Response(body.slice(start, end + 1), {
      status: 206,
      headers: {
        "Content-Type": response.headers.get("Content-Type") || "audio/mpeg",
        "Content-Range": "bytes " + start + "-" + end + "/" + body.byteLength,
        "Content-Length": String(end - start + 1),
      },
    });
  });
}

function networkFirst(request) {
  return fetchWithTimeout(request).catch(function () {
    return caches.open(CARD_CACHE).then(function (cache) {
      return cache.match(request, { ignoreVary: true });
    }).then(function (saved) { return saved || Response.error(); });
  });
}

// ---- Keeping the card ----------------------------------------------------
// The manifest names the resident (opaquely) and the cards and audio to keep; it is
// kept in the cache itself, so a restarted worker still knows what it saved and for whom.

function savedManifest(cache) {
  return cache.match(CONFIG.manifest).then(function (response) {
    return response ? response.json() : { owner: null, pages: {}, audio: [] };
  });
}

function fetchOk(url, options) {
  return fetch(url, Object.assign({ credentials: "same-origin" }, options)).then(function (response) {
    // A redirect here is to the login page, never the card: do not keep it.
    if (!response.ok || response.redirected) throw new Error(url + ": " + response.status);
    return response;
  });
}

function saveCard() {
  return fetchOk(CONFIG.manifest, { cache: "no-store" }).then(function (response) {
    return response.clone().json().then(function (manifest) {
      return caches.open(CARD_CACHE).then(function (cache) {
        return savedManifest(cache).then(function (previous) {
          // Logged out, or another resident: nothing of the previous one may stay.
          if (!manifest.owner || previous.owner !== manifest.owner) {
            return caches.delete(CARD_CACHE).then(function () { return caches.open(CARD_CACHE); });
          }
          return cache;
        }).then(function (cache) {
          if (!manifest.owner) return false;
          return fillCache(cache, manifest, response).then(function () { return true; });
        });
      });
    });
  });
}

function fillCache(cache, manifest, manifestResponse) {
  var pages = Object.keys(manifest.pages).map(function (name) { return manifest.pages[name]; });
  var wanted = pages.concat(manifest.audio, CONFIG.assets).map(function (u) {
    return new URL(u, self.location.origin).href;
  });
  // Pages and assets are fetched afresh; audio only when missing (its URL names its content).
  var puts = pages.concat(CONFIG.assets).map(function (u) {
    return fetchOk(u, { cache: "no-cache" }).then(function (r) { return cache.put(u, r); });
  }).concat(manifest.audio.map(function (u) {
    return cache.match(u).then(function (saved) {
      return saved || fetchOk(u).then(function (r) { return cache.put(u, r); });
    });
  }));
  return Promise.all(puts).then(function () {
    // Saved last: the manifest in the cache promises that everything it names is there.
    return cache.put(CONFIG.manifest, manifestResponse);
  }).then(function () {
    return cache.keys();
  }).then(function (keys) {
    var keep = wanted.concat([new URL(CONFIG.manifest, self.location.origin).href]);
    return Promise.all(keys.filter(function (key) { return keep.indexOf(key.url) < 0; })
      .map(function (key) { return cache.delete(key); }));
  });
}

// One refresh at a time. A page asking while one runs gets the next one, which starts
// when the running one ends (it may have begun before a login), and shares it with others.
var running = null;
var queued = null;

function refresh() {
  if (queued) return queued;
  if (running) {
    queued = running.then(startRefresh, startRefresh);
    return queued;
  }
  return startRefresh();
}

function startRefresh() {
  queued = null;
  running = saveCard().catch(function () {
    // Offline, or the server is in trouble: keep the card saved last time.
    return caches.open(CARD_CACHE).then(savedManifest).then(function (m) { return Boolean(m.owner); });
  }).finally(function () { running = null; });
  return running;
}

// ---- Lifecycle -----------------------------------------------------------

self.addEventListener("install", function (event) {
  // Save the card before this worker takes over; a failure must not stop the install.
  event.waitUntil(refresh().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("net119-") === 0 && CACHES.indexOf(name) < 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "refresh-card") return;
  var client = event.source;
  event.waitUntil(refresh().then(function (saved) {
    if (client) client.postMessage({ type: "card-saved", saved: saved });
  }));
});
