// Registration enhancements; every form works without them.
// - /register: "現在地から消防本部を選ぶ" asks the server which HQ covers the device's position.
// - Application form: a map to pick each frequent place's coordinates (the text fields stay the source).
(function () {
  "use strict";

  // Status lines are in both languages whatever the page's, each marked (as app.js's
  // undelivered notice): a screen reader reads each half with the voice of its language.
  function fill(status, nodes) {
    // Not replaceChildren: the phones SPEC §1 names (Android 5, iOS 9) predate it.
    status.textContent = "";
    Array.prototype.slice.call(nodes).forEach(function (node) { status.appendChild(node); });
  }

  function tell(status, ja, en) {
    var japanese = document.createElement("span");
    japanese.lang = "ja";
    japanese.textContent = ja;
    var english = document.createElement("span");
    english.lang = "en";
    english.className = "en";
    english.textContent = en;
    fill(status, [japanese, document.createTextNode(" "), english]);
  }

  // A run of Japanese, as app/i18n.py's mark_japanese finds it (captured, for split).
  var J = "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]";
  var JAPANESE_RUN = new RegExp("(" + J + "(?:[" + J.slice(1, -1) + "0-9\\s\\-.]*" + J + ")?)");

  // The tiles' attribution is the operator's setting, as written: on a page in another
  // language its Japanese is marked lang="ja", as the server's as_written filter does.
  function asWritten(html) {
    if (document.documentElement.lang === "ja") return html;
    var box = document.createElement("div");
    box.innerHTML = html;
    var walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT), texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (text) {
      var parts = text.data.split(JAPANESE_RUN);
      if (parts.length === 1) return;
      parts.forEach(function (part, index) {
        var node = document.createTextNode(part);
        if (index % 2) {
          var span = document.createElement("span");
          span.lang = "ja";
          span.appendChild(node);
          node = span;
        }
        text.parentNode.insertBefore(node, text);
      });
      text.parentNode.removeChild(text);
    });
    return box.innerHTML;
  }

  // ---- HQ from the device's position ----------------------------------------
  function initLocate(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-locate-hq]"), function (box) {
      if (!navigator.geolocation || !window.htmx || box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var button = box.querySelector("button");
      var status = box.querySelector("[role=status]");
      button.addEventListener("click", function () {
        button.disabled = true;
        tell(status, "現在地を確認しています…", "Finding where you are…");
        navigator.geolocation.getCurrentPosition(function (position) {
          var url = box.dataset.locateHq + "?lat=" + position.coords.latitude.toFixed(6) +
            "&lon=" + position.coords.longitude.toFixed(6);
          htmx.ajax("GET", url, { target: "#hq-field", swap: "outerHTML" }).then(function () {
            // The swapped field says what was chosen; the status region reads it out, with the
            // languages the server marked in it.
            var told = document.querySelector("#hq-suggestion, #hq-field .field__error");
            fill(status, told ? told.cloneNode(true).childNodes : []);
            button.disabled = false;
          }, function () {
            // No answer (offline, server away): the list still works, and the button can try again.
            tell(status, "通信できませんでした。一覧から選んでください。", "Could not connect; choose from the list.");
            button.disabled = false;
          });
        }, function () {
          tell(status, "現在地を使えませんでした。一覧から選んでください。",
               "Your location is not available; choose from the list.");
          button.disabled = false;
        }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
      });
    });
  }

  // ---- Frequent places on a map ---------------------------------------------
  // Leaflet is fetched when the first map is opened, not with the form.
  var leaflet = null;

  function loadLeaflet(picker) {
    if (window.L) return Promise.resolve();
    if (!leaflet) {
      leaflet = new Promise(function (resolve, reject) {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = picker.dataset.leafletCss;
        document.head.appendChild(css);
        var script = document.createElement("script");
        script.src = picker.dataset.leafletJs;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return leaflet;
  }

  function typedPoint(latField, lonField) {
    var lat = parseFloat(latField.value), lon = parseFloat(lonField.value);
    return isFinite(lat) && isFinite(lon) ? [lat, lon] : null;
  }

  function openMap(picker) {
    var latField = document.getElementById(picker.dataset.latField);
    var lonField = document.getElementById(picker.dataset.lonField);
    var status = picker.querySelector("[role=status]");
    var el = picker.querySelector(".map");
    L.Icon.Default.imagePath = picker.dataset.leafletCss.replace(/leaflet\.css$/, "images/");
    // The text fields are the keyboard's way in; the map is for pointing.
    var map = L.map(el, { keyboard: false });
    L.tileLayer(picker.dataset.tileUrl, { attribution: asWritten(picker.dataset.tileAttribution), maxZoom: 18 }).addTo(map);
    var marker = null;
    function show(point) {
      if (marker) marker.setLatLng(point);
      else marker = L.marker(point, { keyboard: false }).addTo(map);
    }
    var start = typedPoint(latField, lonField);
    if (start) { map.setView(start, 16); show(start); }
    else map.setView([37.5, 137.5], 5);  // all of Japan: zoom in to the place
    map.on("click", function (evt) {
      latField.value = evt.latlng.lat.toFixed(5);
      lonField.value = evt.latlng.lng.toFixed(5);
      show(evt.latlng);
      tell(status, "緯度 " + latField.value + "、経度 " + lonField.value + " を入れました。",
           "Set latitude " + latField.value + ", longitude " + lonField.value + ".");
    });
    [latField, lonField].forEach(function (field) {
      field.addEventListener("change", function () {
        var point = typedPoint(latField, lonField);
        if (point) { show(point); map.setView(point, Math.max(map.getZoom(), 14)); }
      });
    });
    picker.map = map;
  }

  function initMapPickers(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-map-picker]"), function (picker) {
      if (picker.dataset.ready) return;
      picker.dataset.ready = "1";
      picker.hidden = false;
      var button = picker.querySelector("button");
      var figure = picker.querySelector("figure");
      button.addEventListener("click", function () {
        var opening = figure.hidden;
        figure.hidden = !opening;
        button.setAttribute("aria-expanded", String(opening));
        if (!opening) return;
        loadLeaflet(picker).then(function () {
          if (!picker.map) openMap(picker);
          else picker.map.invalidateSize();
        }, function () {
          figure.hidden = true;
          button.setAttribute("aria-expanded", "false");
          tell(picker.querySelector("[role=status]"), "地図を読み込めませんでした。緯度と経度を入力してください。",
               "The map could not load; type the coordinates.");
        });
      });
    });
  }

  function init(root) {
    initLocate(root);
    initMapPickers(root);
  }

  // A boosted navigation runs this file again: listen once, and start on what is there now.
  if (!window.net119Registration) {
    window.net119Registration = true;
    document.addEventListener("htmx:load", function (evt) { init(evt.target); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
