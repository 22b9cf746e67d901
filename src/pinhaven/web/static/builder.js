/* Pin builder: pick or drop up to N images, preview them, then upload each one to /web/api/pins with
   per-file progress and the server's own error message under any file it rejects. */
(function () {
  "use strict";

  var form = document.querySelector("[data-builder]");
  if (!form) return;

  var input = form.querySelector(".file-input");
  var dropzone = form.querySelector("[data-dropzone]");
  var list = form.querySelector("[data-upload-list]");
  var dropError = form.querySelector("[data-drop-error]");
  var summary = form.querySelector("[data-summary]");
  var publish = form.querySelector("[data-publish]");
  var boardSelect = form.querySelector("[data-board-select]");
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10) || 10;
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 20 * 1024 * 1024;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var entries = [];
  var CONCURRENCY = 2;

  function megabytes(bytes) { return (bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1) + " MB"; }

  function showError(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  function setStatus(entry, state, message) {
    entry.state = state;
    entry.li.className = "upload-item is-" + state;
    entry.status.textContent = "";
    if (typeof message === "string") entry.status.textContent = message;
    else if (message) entry.status.appendChild(message);
    entry.remove.hidden = state === "uploading" || state === "done";
  }

  function addFile(file) {
    var li = document.createElement("li");
    var preview = document.createElement("img");
    var info = document.createElement("div");
    var name = document.createElement("span");
    var progress = document.createElement("progress");
    var status = document.createElement("p");
    var remove = document.createElement("button");
    preview.className = "upload-preview";
    preview.addEventListener("error", function () { preview.removeAttribute("src"); });
    preview.alt = "Preview of " + file.name;
    preview.width = 64;
    preview.height = 64;
    info.className = "upload-info";
    name.className = "upload-name";
    name.textContent = file.name + " · " + megabytes(file.size);
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Upload progress of " + file.name);
    status.className = "upload-status";
    remove.type = "button";
    remove.className = "icon-button upload-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "Remove " + file.name);
    info.appendChild(name);
    info.appendChild(progress);
    info.appendChild(status);
    li.appendChild(preview);
    li.appendChild(info);
    li.appendChild(remove);
    list.appendChild(li);
    var entry = { file: file, li: li, progress: progress, status: status, remove: remove, state: "pending" };
    remove.addEventListener("click", function () {
      entries.splice(entries.indexOf(entry), 1);
      if (preview.src) URL.revokeObjectURL(preview.src);
      li.remove();
    });
    entries.push(entry);
    // Checks the browser can make at once; the server repeats them and adds its own (decoding, pixels).
    if (file.type && file.type.indexOf("image/") !== 0) {
      setStatus(entry, "error", file.name + " is not an image.");
    } else if (file.size > maxBytes) {
      setStatus(entry, "error", file.name + " is larger than " + megabytes(maxBytes) + ".");
    } else {
      preview.src = URL.createObjectURL(file);
      setStatus(entry, "pending", "Ready");
    }
  }

  function addFiles(files) {
    var room = maxFiles - entries.filter(function (e) { return e.state !== "done"; }).length;
    var skipped = Math.max(0, files.length - room);
    for (var i = 0; i < files.length && i < room; i++) addFile(files[i]);
    showError(dropError, skipped ? "You can add " + maxFiles + " images at a time; " + skipped + " left out." : "");
  }

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = ""; // uploads go through fetch; choosing the same file again still fires change
  });
  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("is-over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.remove("is-over");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files) addFiles(event.dataTransfer.files);
  });

  function upload(entry) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("file", entry.file, entry.file.name);
      ["board_id", "section_id", "title", "description", "link", "alt_text"].forEach(function (name) {
        var field = form.elements[name];
        if (field) data.append(name, field.value);
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/web/api/pins");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) entry.progress.value = Math.round((event.loaded / event.total) * 95);
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 201) {
          entry.progress.value = 100;
          var link = document.createElement("a");
          link.href = body.url;
          link.textContent = "Saved — view pin";
          setStatus(entry, "done", link);
          resolve(body);
        } else {
          setStatus(entry, "error", body.message || "Upload failed (HTTP " + xhr.status + ").");
          resolve(null);
        }
      });
      xhr.addEventListener("error", function () {
        setStatus(entry, "error", "The connection failed; try again.");
        resolve(null);
      });
      setStatus(entry, "uploading", "Uploading…");
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var queue = entries.filter(function (e) { return e.state === "pending"; });
    if (!queue.length) { summary.textContent = "Choose at least one image first."; return; }
    if (!boardSelect.value) { summary.textContent = "Choose a board, or create one."; boardSelect.focus(); return; }
    publish.disabled = true;
    summary.textContent = "Uploading " + queue.length + (queue.length === 1 ? " image…" : " images…");
    var saved = 0;
    var boardUrl = null;
    function worker() {
      var entry = queue.shift();
      if (!entry) return Promise.resolve();
      return upload(entry).then(function (body) {
        if (body) { saved++; boardUrl = body.board_url; }
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < CONCURRENCY; i++) workers.push(worker());
    Promise.all(workers).then(function () {
      publish.disabled = false;
      var failed = entries.filter(function (e) { return e.state === "error"; }).length;
      summary.textContent = saved + (saved === 1 ? " pin saved" : " pins saved") + (failed ? ", " + failed + " not." : ".");
      if (boardUrl) {
        var link = document.createElement("a");
        link.href = boardUrl;
        link.textContent = " Go to the board";
        summary.appendChild(link);
      }
    });
  });

  // ---- Create a board without leaving the builder.
  var toggle = form.querySelector("[data-toggle-inline-board]");
  var panel = form.querySelector("[data-inline-board]");
  var boardError = form.querySelector("[data-board-error]");
  toggle.addEventListener("click", function (event) {
    event.preventDefault();
    panel.hidden = !panel.hidden;
    if (!panel.hidden) panel.querySelector("[data-new-board-name]").focus();
  });
  if (!boardSelect.value) panel.hidden = false;
  panel.querySelector("[data-create-board]").addEventListener("click", function () {
    var data = new FormData();
    data.append("name", panel.querySelector("[data-new-board-name]").value);
    if (panel.querySelector("[data-new-board-secret]").checked) data.append("secret", "1");
    fetch("/web/api/boards", {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
    })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (result) {
        if (result[0] !== 201) { showError(boardError, result[1].message || "Could not create the board."); return; }
        showError(boardError, "");
        var option = document.createElement("option");
        option.value = result[1].id;
        option.textContent = result[1].name + (result[1].secret ? " (secret)" : "");
        Array.prototype.forEach.call(boardSelect.options, function (o) { if (!o.value) o.remove(); });
        boardSelect.appendChild(option);
        boardSelect.value = result[1].id;
        boardSelect.dispatchEvent(new Event("change"));
        panel.querySelector("[data-new-board-name]").value = "";
        panel.hidden = true;
      })
      .catch(function () { showError(boardError, "The connection failed; try again."); });
  });
})();
