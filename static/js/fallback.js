// NET119: the live chat's way back to the chat a browser without JavaScript gets.
//
// With JavaScript on, a browser hides <noscript>: a chat page whose live part cannot
// run would show a message list that never updates. That happens when htmx or its
// socket extension failed to download on a bad network, or on a phone too old to run
// them (SPEC §1 names iOS 9 and Android 5). This file runs last of the page's scripts:
// a chat that htmx has not connected by then gets the no-JavaScript chat, the
// self-refreshing message frame (report/chat_log.html), and its forms post as plain
// forms. static/js/app.js uses the same switch when the socket cannot get through.
// Written for the oldest browsers: no arrow functions, no let, no forEach on lists.
(function () {
  "use strict";

  // Hide what needs the socket (app.css: [data-live="no"]) and show the frame.
  function showFrame(chat) {
    chat.setAttribute("data-live", "no");
    if (chat.querySelector(".chat-frame")) return;
    var frame = document.createElement("iframe");
    frame.className = "chat-frame";
    frame.title = chat.getAttribute("data-frame-title");
    frame.src = chat.getAttribute("data-frame-url") + "#latest";
    var log = chat.querySelector("#chat-log");
    log.parentNode.insertBefore(frame, log.nextSibling);
  }

  function hideFrame(chat) {
    var frames = chat.querySelectorAll(".chat-frame");
    for (var i = 0; i < frames.length; i++) frames[i].parentNode.removeChild(frames[i]);
    chat.setAttribute("data-live", "");
  }

  window.NET119 = window.NET119 || {};
  window.NET119.showFrame = showFrame;
  window.NET119.hideFrame = hideFrame;

  function fallBack() {
    var chats = document.querySelectorAll("[data-live-fallback]");
    for (var i = 0; i < chats.length; i++) {
      // app.js marks a chat htmx connects (data-live="").
      if (!chats[i].hasAttribute("data-live")) showFrame(chats[i]);
    }
  }

  // htmx connects the chat's socket as the document finishes loading.
  function afterHtmx() { setTimeout(fallBack, 0); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", afterHtmx);
  else afterHtmx();
})();
