/* Save from a website and the bookmarklet popup. No inline scripts (the CSP forbids them).
   - candidate images that fail to load, or are tiny, leave the grid (the next one is picked instead);
   - [data-close-window] closes the popup; [data-autoclose="ms"] closes it after a moment. */
(function () {
  "use strict";

  var MIN_SIDE = 60;

  function dropCandidate(label) {
    var input = label.querySelector("input");
    label.classList.add("is-broken");
    if (input && input.checked) {
      input.checked = false;
      var next = label.closest("[data-candidates]").querySelector(".ingest-candidate:not(.is-broken) input");
      if (next) next.checked = true;
    }
  }

  function watchCandidates() {
    document.querySelectorAll(".ingest-candidate").forEach(function (label) {
      var img = label.querySelector("img");
      if (!img) return;
      function check() {
        if (img.naturalWidth && (img.naturalWidth < MIN_SIDE || img.naturalHeight < MIN_SIDE)) dropCandidate(label);
      }
      img.addEventListener("error", function () { dropCandidate(label); });
      img.addEventListener("load", check);
      if (img.complete) {
        if (img.naturalWidth === 0 && img.getAttribute("src")) dropCandidate(label);
        else check();
      }
    });
  }

  function closers() {
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-close-window]")) window.close();
    });
    var auto = document.querySelector("[data-autoclose]");
    if (auto) {
      var delay = parseInt(auto.getAttribute("data-autoclose"), 10);
      if (delay > 0) window.setTimeout(function () { window.close(); }, delay);
    }
  }

  function start() {
    watchCandidates();
    closers();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
