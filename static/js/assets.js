/* Asset library: drag-and-drop uploads with a progress bar per file, bulk selection, the focal
   point picker and the asset picker modal. Everything works without it (plain forms). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ---- uploads ---------------------------------------------------------------------------- */
  var MAX_PARALLEL = 3;

  function setupUploads() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("upload-input");
    var list = document.getElementById("upload-list");
    var queue = [];
    var running = 0;

    function addRow(file) {
      var row = el("li", "upload-item");
      var name = el("span", "upload-name", file.name || "photo");
      var bar = el("progress");
      bar.max = 100;
      bar.value = 0;
      var status = el("span", "upload-status", "Waiting…");
      row.append(name, bar, status);
      list.prepend(row);
      return { row: row, bar: bar, status: status };
    }

    function insertTile(html, assetId) {
      if (document.getElementById("asset-" + assetId)) return;
      var grid = document.getElementById("asset-grid");
      if (!grid) return;
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var tile = holder.firstElementChild;
      grid.prepend(tile);
      var empty = document.getElementById("asset-empty");
      if (empty) empty.remove();
      if (window.htmx) window.htmx.process(tile);
    }

    function finish(ui, ok, message) {
      ui.row.classList.add(ok ? "is-done" : "is-error");
      ui.status.textContent = message;
      if (ok) ui.bar.value = 100;
    }

    function send(file, ui) {
      running += 1;
      var data = new FormData();
      data.append("file", file, file.name || "photo");
      var folder = form.querySelector("[name=folder]");
      if (folder) data.append("folder", folder.value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      ui.status.textContent = "Uploading…";
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          ui.bar.value = Math.round((e.loaded / e.total) * 95);
          ui.status.textContent = "Uploading… " + ui.bar.value + "%";
        }
      });
      xhr.upload.addEventListener("load", function () {
        ui.status.textContent = "Checking the photo…";
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        var result = body && body.results && body.results[body.results.length - 1];
        if (!result) {
          finish(ui, false, xhr.status === 413 ? "This file is too large." : "Upload failed (" + xhr.status + "). Try again.");
        } else if (result.ok) {
          finish(ui, true, result.message);
          insertTile(result.tile, result.asset_id);
        } else {
          finish(ui, false, result.message);
        }
      });
      xhr.addEventListener("error", function () { finish(ui, false, "The connection dropped. Try again."); });
      xhr.addEventListener("loadend", function () { running -= 1; next(); });
      xhr.send(data);
    }

    function next() {
      while (running < MAX_PARALLEL && queue.length) {
        var job = queue.shift();
        send(job.file, job.ui);
      }
    }

    function uploadFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        queue.push({ file: file, ui: addRow(file) });
      });
      next();
    }

    ["dragenter", "dragover"].forEach(function (type) {
      form.addEventListener(type, function (e) {
        e.preventDefault();
        form.classList.add("is-over");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      form.addEventListener(type, function () { form.classList.remove("is-over"); });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      form.classList.remove("is-over");
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
        uploadFiles(e.dataTransfer.files);
      }
    });
    input.addEventListener("change", function () {
      if (input.files && input.files.length) uploadFiles(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (e) {
      if (input.files && input.files.length) {
        e.preventDefault();
        uploadFiles(input.files);
        input.value = "";
      }
    });
  }

  /* ---- bulk selection ---------------------------------------------------------------------- */
  function setupBulk() {
    var bulk = document.getElementById("bulk-form");
    if (!bulk) return;
    var all = document.getElementById("select-all");
    var count = document.getElementById("selected-count");
    function boxes() { return document.querySelectorAll("input[name=assets][form=bulk-form]"); }
    function refresh() {
      var n = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
      count.textContent = n + " selected";
    }
    document.addEventListener("change", function (e) {
      if (e.target === all) {
        boxes().forEach(function (b) { b.checked = all.checked; });
      }
      refresh();
    });
    document.body.addEventListener("htmx:afterSwap", refresh);
  }

  /* ---- focal point ------------------------------------------------------------------------- */
  function setupFocal() {
    var figure = document.getElementById("focal-figure");
    if (!figure) return;
    var marker = document.getElementById("focal-marker");
    var fx = document.getElementById("id_focal_x");
    var fy = document.getElementById("id_focal_y");
    function place(x, y) {
      marker.style.left = (x * 100).toFixed(2) + "%";
      marker.style.top = (y * 100).toFixed(2) + "%";
    }
    place(parseFloat(fx.value || marker.dataset.x), parseFloat(fy.value || marker.dataset.y));
    figure.addEventListener("click", function (e) {
      var rect = figure.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
      var y = Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height));
      fx.value = x.toFixed(3);
      fy.value = y.toFixed(3);
      place(x, y);
    });
    [fx, fy].forEach(function (inp) {
      inp.addEventListener("input", function () { place(parseFloat(fx.value) || 0, parseFloat(fy.value) || 0); });
    });
  }

  /* ---- picker modal (see templates/assets/_picker.html) ------------------------------------- */
  function setupPicker() {
    document.addEventListener("click", function (e) {
      var button = e.target.closest("[data-asset-picker]");
      if (!button) return;
      e.preventDefault();
      openPicker(button);
    });
  }

  function openPicker(button) {
    var dialog = el("dialog", "picker-dialog");
    document.body.appendChild(dialog);
    var picked = [];
    var thumbs = {};
    fetch(button.dataset.assetPicker, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        dialog.innerHTML = html;
        if (window.htmx) window.htmx.process(dialog);
        var multiple = dialog.querySelector(".picker").dataset.multiple === "1";
        var counter = dialog.querySelector("[data-picker-count]");
        function sync() {
          dialog.querySelectorAll("input[name=picked]").forEach(function (box) {
            box.checked = picked.indexOf(box.value) !== -1;
          });
          counter.textContent = picked.length + " selected";
        }
        dialog.addEventListener("change", function (ev) {
          var box = ev.target;
          if (box.name !== "picked") return;
          thumbs[box.value] = box.dataset.thumb;
          if (!multiple) picked = [];
          var at = picked.indexOf(box.value);
          if (box.checked && at === -1) picked.push(box.value);
          if (!box.checked && at !== -1) picked.splice(at, 1);
          sync();
        });
        dialog.addEventListener("htmx:afterSwap", sync);
        dialog.querySelector("[data-picker-cancel]").addEventListener("click", function () { dialog.close(); });
        dialog.querySelector("[data-picker-done]").addEventListener("click", function () {
          var target = button.dataset.pickerTarget && document.querySelector(button.dataset.pickerTarget);
          if (target) target.value = picked.join(",");
          button.dispatchEvent(new CustomEvent("assets:picked", {
            bubbles: true,
            detail: { ids: picked.slice(), thumbs: picked.map(function (id) { return thumbs[id]; }) },
          }));
          dialog.close();
        });
        dialog.addEventListener("close", function () { dialog.remove(); });
        dialog.showModal();
      });
  }

  function init() {
    setupUploads();
    setupBulk();
    setupFocal();
    setupPicker();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
