/* Pinhaven engagement events: impressions, close-ups and outbound clicks, batched to POST /ext/v1/events.
   Impression: a pin card at least 50% visible for at least one second, once per card per page view.
   Close-up: a pin page opened (attributed to the card that was clicked to get there, if any).
   Click: the pin page's source link. Saves and hides are recorded by the server itself.
   Loaded before app.js so cards are numbered in feed order before the masonry moves them into columns.
   No inline scripts (CSP); the CSRF token comes from the page's <meta name="csrf-token">. */
(function () {
  "use strict";

  var ENDPOINT = "/ext/v1/events";
  var MAX_BATCH = 100;
  var FLUSH_MS = 5000;
  var VISIBLE_MS = 1000;
  var CLICK_KEY = "pinhaven.lastCard";
  var queue = [];
  var timer = null;
  var signedIn = !!document.querySelector(".avatar-link");

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function flush(leaving) {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      try {
        fetch(ENDPOINT, {
          method: "POST",
          credentials: "same-origin",
          keepalive: !!leaving, // the request outlives the page when it is being left
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
          body: JSON.stringify({ events: batch }),
        }).catch(function () { /* events are best effort */ });
      } catch (e) { /* old browsers without keepalive: drop */ }
    }
  }

  function send(event) {
    if (!signedIn && event.type !== "impression") return; // the server accepts only impressions anonymously
    event.at = new Date().toISOString();
    queue.push(event);
    if (queue.length >= 20) flush(false);
    else if (!timer) timer = setTimeout(function () { flush(false); }, FLUSH_MS);
  }

  function pinIdOf(card) {
    var link = card.querySelector("a.pin-link");
    var match = link && /\/pin\/(\d+)/.exec(link.getAttribute("href") || "");
    return match ? match[1] : null;
  }

  function surfaceOf(el) {
    var marked = el.closest("[data-surface]");
    if (marked) return marked.getAttribute("data-surface");
    if (el.closest("[data-slot='more-like-this']")) return "related";
    var path = window.location.pathname;
    if (path === "/") return "home";
    if (path.indexOf("/search") === 0) return "search";
    if (path.indexOf("/board/") === 0) return "board";
    if (path.indexOf("/u/") === 0) return "profile";
    return "pin";
  }

  function requestIdOf(el) {
    var marked = el.closest("[data-request-id]");
    return marked ? marked.getAttribute("data-request-id") : null;
  }

  // ---- Numbering: position = order of arrival in its grid (server order, across infinite-scroll pages).
  var counters = typeof WeakMap === "function" ? new WeakMap() : null;

  function number(grid, card) {
    if (!counters || card.hasAttribute("data-position")) return;
    // The home feed's older pins continue in a second grid under the caught-up notice: one count per feed.
    var key = grid.closest("[data-surface]") || grid;
    var next = counters.get(key) || 0;
    card.setAttribute("data-position", String(next));
    counters.set(key, next + 1);
  }

  // ---- Impressions.
  var seen = typeof WeakSet === "function" ? new WeakSet() : null;
  var pending = typeof WeakMap === "function" ? new WeakMap() : null;
  var observer = null;

  function impression(card) {
    if (!seen || seen.has(card)) return;
    var pinId = pinIdOf(card);
    if (!pinId) return;
    seen.add(card);
    var event = { type: "impression", pin_id: pinId, surface: surfaceOf(card),
                  position: parseInt(card.getAttribute("data-position") || "0", 10) };
    var requestId = requestIdOf(card);
    if (requestId) event.request_id = requestId;
    send(event);
  }

  function watch(card) {
    if (observer && !card.hasAttribute("data-watched")) {
      card.setAttribute("data-watched", "");
      observer.observe(card);
    }
  }

  if ("IntersectionObserver" in window && pending) {
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var card = entry.target;
        if (entry.intersectionRatio >= 0.5) {
          if (!pending.has(card) && !seen.has(card)) {
            pending.set(card, setTimeout(function () { pending.delete(card); impression(card); }, VISIBLE_MS));
          }
        } else if (pending.has(card)) {
          clearTimeout(pending.get(card));
          pending.delete(card);
        }
      });
    }, { threshold: [0, 0.5] });
  }

  function adopt(grid, card) {
    number(grid, card);
    watch(card);
  }

  function track(grid) {
    Array.prototype.forEach.call(grid.querySelectorAll(".pin-card.grid-item"), function (card) { adopt(grid, card); });
    if (!("MutationObserver" in window)) return;
    // Infinite scroll and "More like this" append cards (into masonry columns): records arrive in order.
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          if (node.nodeType !== 1) return;
          if (node.matches(".pin-card.grid-item")) adopt(grid, node);
          else Array.prototype.forEach.call(node.querySelectorAll(".pin-card.grid-item"), function (c) { adopt(grid, c); });
        });
      });
    }).observe(grid, { childList: true, subtree: true });
  }

  // ---- Clicks on cards remember where the close-up came from; the pin page reports the close-up.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.pin-link");
    if (link) {
      var card = link.closest(".pin-card");
      var pinId = card && pinIdOf(card);
      if (pinId) {
        try {
          sessionStorage.setItem(CLICK_KEY, JSON.stringify({
            pin_id: pinId, surface: surfaceOf(card), position: parseInt(card.getAttribute("data-position") || "0", 10),
            request_id: requestIdOf(card), at: Date.now(),
          }));
        } catch (e) { /* storage disabled */ }
      }
      return;
    }
    var source = event.target.closest && event.target.closest("a.source-link, .closeup-tools a[target='_blank']");
    var slot = document.querySelector("[data-slot='more-like-this'][data-pin-id]");
    if (source && slot) {
      send({ type: "click", pin_id: slot.getAttribute("data-pin-id"), surface: "pin", position: 0 });
      flush(true);
    }
  });

  function closeup() {
    var slot = document.querySelector("[data-slot='more-like-this'][data-pin-id]");
    if (!slot) return;
    var pinId = slot.getAttribute("data-pin-id");
    var event = { type: "closeup", pin_id: pinId, surface: "pin", position: 0 };
    try {
      var last = JSON.parse(sessionStorage.getItem(CLICK_KEY) || "null");
      if (last && last.pin_id === pinId && Date.now() - last.at < 30 * 60 * 1000) {
        event.surface = last.surface;
        event.position = last.position;
        if (last.request_id) event.request_id = last.request_id;
      }
      sessionStorage.removeItem(CLICK_KEY);
    } catch (e) { /* storage disabled */ }
    send(event);
  }

  document.querySelectorAll("[data-masonry]").forEach(track);
  window.PinhavenEvents = { track: track }; // app.js: grids it adds later (the caught-up split)
  closeup();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(true);
  });
  window.addEventListener("pagehide", function () { flush(true); });
})();
