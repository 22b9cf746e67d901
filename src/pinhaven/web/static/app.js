/* Pinhaven pages: masonry layout, infinite scroll, placeholder colours, dialogs, small form helpers.
   No framework, no inline scripts (the CSP forbids them). Everything works without this file too:
   grids fall back to CSS columns, "More pins" links page through, the save button opens a page. */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;

  // Dominant-colour placeholders: set from data attributes (inline style attributes are blocked by CSP).
  function paint(root) {
    var nodes = root.querySelectorAll("[data-color]");
    for (var i = 0; i < nodes.length; i++) {
      var colour = nodes[i].getAttribute("data-color");
      if (HEX.test(colour)) nodes[i].style.backgroundColor = colour;
    }
  }

  // ---- Masonry: items go, in order, into the shortest column; existing items never move on append.
  function Masonry(el) {
    this.el = el;
    this.items = Array.prototype.slice.call(el.querySelectorAll(":scope > .grid-item"));
    this.columns = [];
    this.heights = [];
    this.count = 0;
    el.masonry = this;
    this.layout();
  }

  Masonry.prototype.columnCount = function () {
    var width = this.el.clientWidth || window.innerWidth;
    var narrow = width < 600;
    var gap = narrow ? 8 : 16;
    var target = narrow ? 150 : 236;
    return Math.max(2, Math.floor((width + gap) / (target + gap)));
  };

  Masonry.prototype.layout = function () {
    var count = this.columnCount();
    if (count === this.count && this.el.classList.contains("is-ready")) return;
    this.count = count;
    this.columns = [];
    this.heights = [];
    var fragment = document.createDocumentFragment();
    for (var c = 0; c < count; c++) {
      var column = document.createElement("div");
      column.className = "masonry-col";
      this.columns.push(column);
      this.heights.push(0);
      fragment.appendChild(column);
    }
    this.el.textContent = "";
    this.el.appendChild(fragment);
    this.el.classList.add("is-ready");
    this.place(this.items);
  };

  Masonry.prototype.place = function (items) {
    for (var i = 0; i < items.length; i++) {
      var shortest = 0;
      for (var c = 1; c < this.heights.length; c++) {
        if (this.heights[c] < this.heights[shortest] - 1) shortest = c;
      }
      this.columns[shortest].appendChild(items[i]);
      // Images carry width/height attributes, so the card's height is known before they load.
      this.heights[shortest] += items[i].offsetHeight;
    }
  };

  Masonry.prototype.add = function (items) {
    this.items = this.items.concat(items);
    this.place(items);
  };

  function masonryFor(el) {
    return el.masonry || new Masonry(el);
  }

  // ---- Infinite scroll: fetch the next page (same URL + the API bookmark) as an HTML fragment.
  function infinite(footer) {
    var grid = footer.previousElementSibling;
    if (!grid || !("IntersectionObserver" in window)) return;
    var loading = false;
    var observer = new IntersectionObserver(function (entries) {
      if (entries[0].isIntersecting) load();
    }, { rootMargin: "1200px 0px" });

    function load() {
      var link = footer.querySelector("[data-next]");
      if (!link || loading) return;
      loading = true;
      footer.classList.add("is-loading");
      var url = link.getAttribute("href");
      url += (url.indexOf("?") >= 0 ? "&" : "?") + "partial=1";
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var notice = doc.body.querySelector("[data-caught-up]");
          if (notice && !document.querySelector("[data-caught-up]")) grid = caughtUp(notice);
          var items = Array.prototype.slice.call(doc.body.querySelectorAll(".grid-item"));
          var adopted = items.map(function (item) { return document.adoptNode(item); });
          var wrapper = document.createElement("div");
          adopted.forEach(function (item) { wrapper.appendChild(item); });
          paint(wrapper);
          if (grid.hasAttribute("data-masonry")) masonryFor(grid).add(adopted);
          else adopted.forEach(function (item) { grid.appendChild(item); });
          var next = doc.body.querySelector("[data-next]");
          if (next) link.setAttribute("href", next.getAttribute("href"));
          else { observer.disconnect(); link.remove(); }
          loading = false;
          footer.classList.remove("is-loading");
          // The page may still not fill the screen: the observer fires again only on change.
          if (next && footer.getBoundingClientRect().top < window.innerHeight + 1200) load();
        })
        .catch(function () {
          loading = false; // the link stays: clicking it loads the next page the old-fashioned way
          footer.classList.remove("is-loading");
        });
    }
    // The home feed's first batch of pins already shown: the notice goes below what was new, and the older
    // pins continue in a grid of their own under it (masonry columns never mix the two).
    function caughtUp(notice) {
      var next = document.createElement("div");
      next.className = "masonry";
      if (grid.hasAttribute("data-masonry")) next.setAttribute("data-masonry", "");
      footer.parentNode.insertBefore(document.adoptNode(notice), footer);
      footer.parentNode.insertBefore(next, footer);
      if (next.hasAttribute("data-masonry")) masonryFor(next);
      if (window.PinhavenEvents) window.PinhavenEvents.track(next); // impressions of the older pins count too
      return next;
    }
    observer.observe(footer);
  }

  // ---- Save dialog and other dialogs: the trigger is a link to a page that works without JS.
  function dialogs() {
    document.addEventListener("click", function (event) {
      var opener = event.target.closest("[data-open-dialog]");
      if (opener) {
        var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
        if (dialog && typeof dialog.showModal === "function") {
          event.preventDefault();
          dialog.showModal();
          var first = dialog.querySelector("select, input:not([type=hidden]), button");
          if (first) first.focus();
        }
        return;
      }
      var closer = event.target.closest("[data-close-dialog]");
      if (closer) {
        closer.closest("dialog").close();
        return;
      }
      if (event.target.tagName === "DIALOG") event.target.close(); // a click on the backdrop
    });
  }

  // ---- Section pickers follow the chosen board.
  function sectionPicker(boardSelect) {
    var target = document.getElementById(boardSelect.getAttribute("data-section-select"));
    if (!target) return;
    function sync() {
      var board = boardSelect.value;
      var any = false;
      Array.prototype.forEach.call(target.options, function (option) {
        var owner = option.getAttribute("data-board");
        var show = !owner || owner === board;
        option.hidden = !show;
        option.disabled = !show;
        if (owner && show) any = true;
        if (!show && option.selected) target.value = "";
      });
      target.closest(".field").classList.toggle("is-empty", !any);
    }
    boardSelect.addEventListener("change", sync);
    sync();
  }

  function confirms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var message = form.getAttribute && form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) event.preventDefault();
    });
  }

  function copyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) return;
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      }, function () { /* clipboard refused: the token stays selectable */ });
    });
  }

  function menus() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.removeAttribute("open");
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        menu.querySelector("summary").focus();
      });
    });
  }

  function start() {
    paint(document);
    var grids = document.querySelectorAll("[data-masonry]");
    for (var i = 0; i < grids.length; i++) masonryFor(grids[i]);
    document.querySelectorAll(".grid-footer").forEach(infinite);
    document.querySelectorAll("select[data-section-select]").forEach(sectionPicker);
    dialogs();
    confirms();
    copyButtons();
    menus();
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        document.querySelectorAll("[data-masonry]").forEach(function (grid) { masonryFor(grid).layout(); });
      });
    });
  }

  // Discovery (related pins) and other scripts add cards through this.
  window.Pinhaven = {
    addCards: function (grid, items) { masonryFor(grid).add(items); paint(grid); },
    paint: paint,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
