// NET119: the live chat's way back to the page a browser without JavaScript gets.
//
// With JavaScript on, <noscript> content stays hidden, so a chat page whose live part
// cannot run would show a message list that never updates. That happens when htmx or
// its socket extension failed to download on a bad network, or on a phone too old to
// run them (SPEC §1 names iOS 9 and Android 5). This file runs last of the page's
// scripts: a chat that htmx has not connected by then gets the no-JavaScript chat,
// the self-refreshing message frame (report/chat.html) and plain form posts.
// Written for the oldest browsers: no arrow functions, no let, no forEach on lists.
(function () {
  "use strict";

  function degrade() {
    var chats = document.querySelectorAll("[data-live-fallback]");
    var i, chat, frame, holder;
    for (i = 0; i < chats.length; i++) {
      chat = chats[i];
      if (chat.hasAttribute("data-live")) continue;  // app.js marks a chat htmx connects
      chat.setAttribute("data-live", "no");
      // A scripted browser keeps <noscript> content as text: what it would have shown.
      frame = chat.querySelector("noscript");
      if (frame) {
        holder = document.createElement("div");
        holder.innerHTML = frame.textContent;
        frame.parentNode.replaceChild(holder, frame);
      }
    }
  }

  // htmx connects the chat's socket as the document finishes loading.
  function afterHtmx() { setTimeout(degrade, 0); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", afterHtmx);
  else afterHtmx();
})();
