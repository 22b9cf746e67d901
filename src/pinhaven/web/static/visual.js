/* Visual search on pages: "Visually similar" pins on the pin page (with a crop box: drag across the image),
   and "Search by image" on the search page. Both call POST /ext/v1/search/visual with the page's CSRF token. */
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function search(body) {
    var headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    return fetch("/ext/v1/search/visual?limit=24", { method: "POST", headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.message || "HTTP " + response.status);
          return data.items;
        });
      });
  }

  function render(grid, items) {
    grid.textContent = "";
    items.forEach(function (pin) {
      var image = (pin.media && pin.media.images && (pin.media.images["236x"] || pin.media.images["474x"])) || null;
      var link = document.createElement("a");
      link.className = "grid-item visual-card";
      link.href = "/pin/" + pin.id;
      link.setAttribute("data-pin-id", pin.id);
      if (image) {
        var img = document.createElement("img");
        img.src = image.url;
        img.width = image.width;
        img.height = image.height;
        img.loading = "lazy";
        img.alt = pin.alt_text || pin.title || "Pin";
        link.appendChild(img);
      }
      if (pin.title) {
        var title = document.createElement("span");
        title.className = "visual-card-title";
        title.textContent = pin.title;
        link.appendChild(title);
      }
      grid.appendChild(link);
    });
  }

  // ---- pin page: similar pins, and a crop box drawn by dragging on the image (mouse, pen or one finger)
  function similar(section) {
    var pinId = section.getAttribute("data-visual-for");
    var grid = section.querySelector("[data-visual-results]");
    var reset = section.querySelector("[data-visual-reset]");
    var status = section.querySelector("[data-visual-status]");
    var media = document.querySelector(".closeup-media");
    var latest = 0;  // a slow answer to an older crop must not replace the newer one's results
    function run(crop) {
      var body = { pin_id: pinId }, asked = ++latest;
      if (crop) body.crop = crop;
      if (status) status.textContent = "";
      search(body).then(function (items) {
        if (asked !== latest) return;
        render(grid, items);
        section.hidden = items.length === 0 && !crop;
        if (reset) reset.hidden = !crop;
        if (status && crop && !items.length) status.textContent = "No similar pins for this part.";
      }).catch(function (error) {
        if (asked === latest && status && crop) status.textContent = error.message;  // e.g. a region too small
      });
    }
    run(null);
    if (!media) return;
    var img = media.querySelector("img");
    if (!img) return;
    // CSSOM properties, not style attributes, so the CSP (no inline style) allows them
    media.style.position = "relative";
    img.style.touchAction = "pinch-zoom";  // one finger draws the box instead of scrolling; two still zoom
    img.draggable = false;  // no native image drag-and-drop stealing a mouse drag
    var box = document.createElement("div");
    box.className = "crop-box";
    box.style.display = "none";  // the look lives in app.css (.crop-box): CSP allows no inline style text
    media.appendChild(box);
    var start = null, pointer = null, shown = null;
    function point(event) {
      var r = img.getBoundingClientRect();
      return { x: Math.min(Math.max((event.clientX - r.left) / r.width, 0), 1), y: Math.min(Math.max((event.clientY - r.top) / r.height, 0), 1) };
    }
    function rect(a, b) {
      return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
    }
    function show(crop) {  // in % of the media box, so the box follows the image when the layout resizes
      if (!crop) { box.style.display = "none"; return; }
      var r = img.getBoundingClientRect(), off = media.getBoundingClientRect();
      function pct(px, of) { return (100 * px / of) + "%"; }
      box.style.display = "block";
      box.style.left = pct(r.left - off.left + crop.x * r.width, off.width);
      box.style.top = pct(r.top - off.top + crop.y * r.height, off.height);
      box.style.width = pct(crop.w * r.width, off.width);
      box.style.height = pct(crop.h * r.height, off.height);
    }
    img.addEventListener("pointerdown", function (event) {
      if (start || !event.isPrimary || (event.pointerType === "mouse" && event.button !== 0)) return;
      event.preventDefault();
      start = point(event);
      pointer = event.pointerId;
      img.setPointerCapture(event.pointerId);
    });
    img.addEventListener("pointermove", function (event) {
      if (start && event.pointerId === pointer) show(rect(start, point(event)));
    });
    img.addEventListener("pointerup", function (event) {
      if (!start || event.pointerId !== pointer) return;
      var crop = rect(start, point(event));
      start = null;
      if (crop.w < 0.05 || crop.h < 0.05) { show(shown); return; }  // a click, not a drag
      shown = crop;
      show(crop);
      run(crop);
    });
    img.addEventListener("pointercancel", function (event) {  // e.g. the browser took the touch for a zoom
      if (!start || event.pointerId !== pointer) return;
      start = null;
      show(shown);
    });
    if (reset) reset.addEventListener("click", function () { shown = null; show(null); run(null); });
  }

  // ---- search page: upload an image
  function upload(form) {
    var grid = form.parentNode.querySelector("[data-visual-results]");
    var status = form.querySelector("[data-visual-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Searching…";
      search(new FormData(form)).then(function (items) {
        status.textContent = items.length ? items.length + " similar pins" : "No similar pins found.";
        render(grid, items);
      }).catch(function (error) { status.textContent = error.message; });
    });
  }

  // ---- pin page: "Also saved as" — other visible pins of the same picture (exact or near duplicates)
  function duplicates(section) {
    var pinId = section.getAttribute("data-duplicates-for");
    fetch("/ext/v1/pins/" + encodeURIComponent(pinId) + "/duplicates", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (data) {
        if (!data.items || !data.items.length) return;
        render(section.querySelector("[data-duplicate-results]"), data.items);
        section.hidden = false;
      }).catch(function () { /* the section stays hidden */ });
  }

  function init() {
    var dup = document.querySelector("[data-duplicates-for]");
    if (dup) duplicates(dup);
    var section = document.querySelector("[data-visual-for]");
    if (section) similar(section);
    var form = document.querySelector("[data-visual-upload]");
    if (form) upload(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
