// NET119 service worker. The server prepends self.NET119 = {manifest, card, audio,
// version, shell, static, offline, start, startPages}: every path comes from the app's url_for.
//
// Its jobs (SPEC §3.5, §5): open the app and report with no network, and keep the
// proxy-call card working with no network at all. It is deliberately conservative:
// - it answers only GET requests; POSTs and sockets go to the network untouched (the
//   page keeps a report that could not be sent: static/js/offline.js);
// - the app shell (static files, the manifest, the offline page) lives in a cache named
//   by the server's digest of those files: a changed file changes this script, the
//   browser installs it, and the new worker fills a new cache and deletes the old one;
// - the resident's own pages (start pages, cards, card audio) are kept only for the
//   resident the server's manifest names, and forgotten when it names another or nobody.
"use strict";

var CONFIG = self.NET119;
var SHELL_CACHE = "net119-shell-" + CONFIG.version;
var RESIDENT_CACHE = "net119-resident-v1";
var CACHES = [SHELL_CACHE, RESIDENT_CACHE];
// A page on a weak connection must not wait for the network longer than this.
var NETWORK_TIMEOUT_MS = 4000;

// ---- Routing -------------------------------------------------------------
// First match wins; a request that matches nothing is not intercepted at all.
var ROUTES = [
  { match: isCardPage, handle: cardPage },
  { match: isCardAudio, handle: cardAudio },
  { match: isStartPage, handle: startPage },
  { match: isShellFile, handle: cacheFirst },
  { match: isNavigation, handle: pageOrOffline },
];

function isCardPage(request, url) {
  return request.mode === "navigate" && url.pathname === CONFIG.card;
}

function isCardAudio(request, url) {
  return CONFIG.audio.indexOf(url.pathname) >= 0;
}

// The start page and its second-tap pages (?kind=fire, ?place=home, ?place=frequent-3),
// as a navigation or as htmx's boosted request for the same page.
function isStartPage(request, url) {
  return url.pathname === CONFIG.start && /^(\?(kind|place)=[\w-]+)?$/.test(url.search);
}

function isShellFile(request, url) {
  return url.pathname.indexOf(CONFIG.static) === 0 || CONFIG.shell.indexOf(url.pathname) >= 0;
}

function isNavigation(request) {
  return request.mode === "navigate";
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
  return caches.open(RESIDENT_CACHE).then(function (cache) {
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
  return caches.open(RESIDENT_CACHE).then(function (cache) {
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

// Static files never change under the same cache (see the top of this file).
function cacheFirst(request) {
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (saved) {
      if (saved) return saved;
      return fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

// The start page from the server when it answers, so it shows a report opened on
// another device. Otherwise, or when the server is in trouble (5xx: a proxy's 502, an
// outage's 503), the copy kept for this resident, so that the two taps still work (the
// page keeps the report until the server takes it); else the server's error page, or
// with no answer at all the offline page.
function startPage(request, url) {
  return fetchWithTimeout(request).then(function (response) {
    if (response.status >= 500) {
      return savedStartPage(url).then(function (saved) { return saved || response; });
    }
    // Kept as it is shown, so a frequent place's page (not in startPages) works offline too.
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(RESIDENT_CACHE).then(function (cache) { return cache.put(url.href, copy); });
    }
    return response;
  }, function () {
    return savedStartPage(url).then(function (saved) { return saved || offlinePage(request); });
  });
}

function savedStartPage(url) {
  return caches.open(RESIDENT_CACHE).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true });
  });
}

function pageOrOffline(request) {
  return fetch(request).catch(function () { return offlinePage(request); });
}

// Pages that were never saved: the offline page, which names the other ways to call.
function offlinePage(request) {
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(CONFIG.offline, { ignoreVary: true });
  }).then(function (saved) {
    if (saved && request.mode === "navigate") return saved;
    return saved ? new Response(saved.body, { status: 503, headers: saved.headers }) : Response.error();
  });
}

// ---- Keeping the resident's pages -----------------------------------------
// The manifest names the resident (opaquely) and the cards and audio to keep; it is
// kept in the cache itself, so a restarted worker still knows what it saved and for whom.
// The start pages are kept with them, for the same resident only.

function savedManifest(cache) {
  return cache.match(CONFIG.manifest).then(function (response) {
    return response ? response.json() : { owner: null, pages: {}, audio: [] };
  });
}

function fetchOk(url, options) {
  // A redirect here is to the login page, never the card: it is not kept, and not even
  // followed, since the login page would start a session beside the one being made.
  var settings = Object.assign({ credentials: "same-origin", redirect: "manual" }, options);
  return fetch(url, settings).then(function (response) {
    if (!response.ok) throw new Error(url + ": " + response.status);  // a redirect too (opaque, status 0)
    return response;
  });
}

function saveCard() {
  return fetchOk(CONFIG.manifest, { cache: "no-store" }).then(function (response) {
    return response.clone().json().then(function (manifest) {
      return caches.open(RESIDENT_CACHE).then(function (cache) {
        return savedManifest(cache).then(function (previous) {
          // Logged out, or another resident: nothing of the previous one may stay.
          if (!manifest.owner || previous.owner !== manifest.owner) {
            return caches.delete(RESIDENT_CACHE).then(function () { return caches.open(RESIDENT_CACHE); });
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
  var pages = Object.keys(manifest.pages).map(function (name) { return manifest.pages[name]; })
    .concat(CONFIG.startPages);
  var wanted = pages.concat(manifest.audio).map(function (u) {
    return new URL(u, self.location.origin).href;
  });
  // Pages are fetched afresh; audio only when missing (its URL names its content).
  var puts = pages.map(function (u) {
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
    return Promise.all(keys.filter(function (key) {
      return keep.indexOf(key.url) < 0 && !isStartPage(null, new URL(key.url));
    })
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
    return caches.open(RESIDENT_CACHE).then(savedManifest).then(function (m) { return Boolean(m.owner); });
  }).finally(function () { running = null; });
  return running;
}

// ---- Lifecycle -----------------------------------------------------------

function saveShell() {
  return caches.open(SHELL_CACHE).then(function (cache) {
    // "reload": straight from the server, never an older copy from the HTTP cache.
    // "omit": the shell is the same for everyone, and a response that sets no cookie
    // cannot replace the session of a login made while the worker installs.
    return cache.addAll(CONFIG.shell.map(function (u) {
      return new Request(u, { cache: "reload", credentials: "omit" });
    }));
  });
}

self.addEventListener("install", function (event) {
  // The shell must be complete or the worker is not installed (the browser tries again
  // on a later visit); the resident's pages are saved when they can be.
  event.waitUntil(Promise.all([saveShell(), refresh()]).then(function () { return self.skipWaiting(); }));
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
  var source = event.source;
  event.waitUntil(refresh().then(function (saved) {
    // Asked afresh: a page that has meanwhile gone into the back/forward cache is not
    // listed, and a message would evict it (going back would then load it anew).
    return source && self.clients.get(source.id).then(function (client) {
      if (client) client.postMessage({ type: "card-saved", saved: saved });
    });
  }));
});
