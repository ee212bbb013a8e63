// NET119 dispatcher console: canned phrases through the chat socket, and
// keyboard shortcuts. Every action is a plain form without this file.
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
    var chat = sender && sender.closest("[data-last-seq]");
    if (!chat || !chat._net119) return;  // no live socket yet: the plain form post sends it
    evt.preventDefault();
    evt.stopPropagation();
    sender.querySelector("textarea").value = form.getAttribute("data-phrase");
    sender.requestSubmit();
  }, true);

  function press(key) {
    // R and Q: the reply and question boxes (text fields drawn by the shared field macro).
    var target = key === "r" ? document.querySelector("#compose textarea")
      : key === "q" ? document.getElementById("ask-body")
      : document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) return false;
    if (target.matches("button, a")) target.click(); else target.focus();
    return true;
  }

  document.addEventListener("keydown", function (evt) {
    var el = evt.target;
    if (isTextField(el)) {
      if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && el.form) {
        evt.preventDefault();
        el.form.requestSubmit();
      } else if (evt.key === "Escape") {
        el.blur();
      }
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing || !shortcutsOn) return;
    if (!document.querySelector("[data-shortcuts]")) return;
    if (press(evt.key.length === 1 ? evt.key.toLowerCase() : evt.key)) evt.preventDefault();
  });

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
})();
