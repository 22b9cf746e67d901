// Comments and reactions on the pin page: the slot is filled with /pin/{id}/comments?partial=1 (without
// JavaScript its link opens the same list as a page).
(function () {
  "use strict";
  var slot = document.querySelector('[data-slot="comments"]');
  if (!slot) return;
  var id = slot.getAttribute("data-pin-id");
  fetch("/pin/" + encodeURIComponent(id) + "/comments?partial=1", {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  })
    .then(function (r) { return r.ok ? r.text() : null; })
    .then(function (html) {
      if (html === null) return;
      slot.innerHTML = html; // server-rendered, escaped by the template engine
      if (location.hash.indexOf("#comment") === 0 || location.hash === "#reactions") {
        var target = document.getElementById(location.hash.slice(1));
        if (target) target.scrollIntoView();
      }
    })
    .catch(function () {});
})();

// The bell: its unread count arrives over Server-Sent Events (/notifications/stream); when the stream keeps
// failing (a proxy that buffers, an old browser) the page polls /notifications/count instead.
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell]");
  if (!bell) return;
  var badge = bell.querySelector("[data-bell-count]");
  var POLL_MS = Number(window.PINHAVEN_POLL_MS) || 15000; // (tests shorten it)
  var polling = null;

  function show(n) {
    n = Number(n) || 0;
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
    bell.setAttribute("data-unread", String(n));
    bell.setAttribute("aria-label", n ? "Notifications, " + n + " unread" : "Notifications");
  }

  function poll() {
    fetch("/notifications/count", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data.unread); })
      .catch(function () {});
  }

  function startPolling() {
    if (polling) return;
    bell.setAttribute("data-live", "polling");
    poll();
    polling = setInterval(poll, POLL_MS);
  }

  if (!("EventSource" in window) || bell.hasAttribute("data-poll-only")) {
    startPolling();
    return;
  }
  var failures = 0;
  var source = new EventSource("/notifications/stream");
  source.addEventListener("unread", function (event) {
    failures = 0;
    bell.setAttribute("data-live", "sse");
    try { show(JSON.parse(event.data).unread); } catch (e) { /* a malformed event changes nothing */ }
  });
  source.onerror = function () {
    failures += 1;
    if (failures >= 3 || source.readyState === EventSource.CLOSED) {
      source.close();
      startPolling();
    }
  };
  window.addEventListener("pagehide", function () { source.close(); });
})();
