/* Pinhaven discovery on pages: fills the pin page's "More like this" slot (infinite scroll over
   /pin/{id}/related fragments), loads the owner's stats panel, and adds "Hide" buttons to home-feed cards.
   Runs after app.js (uses window.Pinhaven.addCards); without JavaScript the slots simply stay as they are. */
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function fragment(url) {
    return fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) {
        return { doc: new DOMParser().parseFromString(html, "text/html"), requestId: response.headers.get("X-Request-Id") };
      });
    });
  }

  // ---- "More like this": batches of related pins, loaded as the visitor scrolls down to the slot's end.
  function related(slot) {
    var grid = slot.querySelector("[data-related-for]");
    if (!grid || !window.Pinhaven) return;
    var next = "/pin/" + grid.getAttribute("data-related-for") + "/related";
    var loading = false;
    // After the slot, not in it: the slot has no box (display: none) until its first cards arrive.
    var sentinel = document.createElement("div");
    sentinel.className = "related-sentinel";
    slot.parentNode.insertBefore(sentinel, slot.nextSibling);

    function load() {
      if (!next || loading) return;
      loading = true;
      fragment(next).then(function (result) {
        var items = Array.prototype.slice.call(result.doc.body.querySelectorAll(".grid-item"));
        var adopted = items.map(function (item) { return document.adoptNode(item); });
        if (result.requestId && !slot.hasAttribute("data-request-id")) slot.setAttribute("data-request-id", result.requestId);
        if (adopted.length) window.Pinhaven.addCards(grid, adopted);
        var link = result.doc.body.querySelector("[data-next]");
        next = link ? link.getAttribute("href") : null;
        loading = false;
        if (!next && observer) observer.disconnect();
        else if (sentinel.getBoundingClientRect().top < window.innerHeight + 800) load();
      }).catch(function () { loading = false; next = null; });
    }

    var observer = "IntersectionObserver" in window
      ? new IntersectionObserver(function (entries) { if (entries[0].isIntersecting) load(); }, { rootMargin: "800px 0px" })
      : null;
    load(); // the first batch right away; later ones as the visitor scrolls near the end
    if (observer) observer.observe(sentinel);
  }

  // ---- The owner's stats panel on the pin page.
  function stats(slot) {
    var pinId = slot.getAttribute("data-pin-id");
    fragment("/pin/" + pinId + "/stats?partial=1").then(function (result) {
      var panel = result.doc.body.querySelector("[data-stats-panel]");
      if (panel) slot.replaceChildren(document.adoptNode(panel));
    }).catch(function () { /* the link to the stats page stays */ });
  }

  // ---- "Hide" on home-feed cards: the pin (and its duplicates) never come back in this feed.
  function hideButtons(feed) {
    if (!document.querySelector(".avatar-link")) return; // signed-in only
    function decorate(card) {
      if (card.querySelector(".hide-pin")) return;
      var link = card.querySelector("a.pin-link");
      var match = link && /\/pin\/(\d+)/.exec(link.getAttribute("href") || "");
      if (!match) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "hide-pin";
      button.textContent = "Hide";
      button.setAttribute("aria-label", "Hide this pin from your feed");
      button.addEventListener("click", function () {
        button.disabled = true;
        fetch("/ext/v1/pins/" + match[1] + "/hide", {
          method: "POST", credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
        }).then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          card.classList.add("is-hidden");
          card.setAttribute("aria-hidden", "true");
        }).catch(function () { button.disabled = false; });
      });
      card.appendChild(button);
    }
    Array.prototype.forEach.call(feed.querySelectorAll(".pin-card"), decorate);
    if ("MutationObserver" in window) {
      new MutationObserver(function () {
        Array.prototype.forEach.call(feed.querySelectorAll(".pin-card:not(.has-hide)"), function (card) {
          card.classList.add("has-hide");
          decorate(card);
        });
      }).observe(feed, { childList: true, subtree: true });
    }
  }

  function start() {
    document.querySelectorAll("[data-slot='more-like-this']").forEach(related);
    document.querySelectorAll("[data-slot='pin-stats']").forEach(stats);
    document.querySelectorAll("[data-surface='home']").forEach(hideButtons);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
