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

  /* ---- announcements: the page's one live region (templates/assets/library.html) ------------ */
  function announce(text) {
    var region = document.getElementById("library-status");
    if (!region || !text) return;
    // Cleared first, so the same sentence twice in a row is still read out.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 60);
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // Said together with the next results summary (an upload batch that reloads the results).
  var beforeResults = "";

  /* ---- uploads ---------------------------------------------------------------------------- */
  var MAX_PARALLEL = 3;
  var DONE_ROW_MS = 2500;

  function setupUploads() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("upload-input");
    var list = document.getElementById("upload-list");
    var library = document.getElementById("library");
    var queue = [];
    var running = 0;
    var batch = null;
    var rowCount = 0;

    function addRow(file) {
      rowCount += 1;
      var row = el("li", "upload-item");
      var name = el("span", "upload-name", file.name || "photo");
      // Named, but outside any live region: the percentages are not read out one by one.
      var bar = el("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Uploading " + (file.name || "photo"));
      var status = el("span", "upload-status");
      var text = el("span", "", "Waiting…");
      status.append(text);
      row.append(name, bar, status);
      list.append(row);
      return { row: row, bar: bar, status: text, name: file.name || "photo" };
    }

    // The results' own flag: a search typed since the page loaded swapped them (htmx).
    function narrowed() {
      var results = document.getElementById("asset-results");
      return !!results && results.dataset.narrowed === "1";
    }

    // A new tile goes into the grid only when the grid shows that folder unfiltered (page one);
    // anything narrower is fetched again once the batch is done.
    function viewTakes(folderId) {
      if (!library || narrowed()) return false;
      if (parseInt(new URLSearchParams(window.location.search).get("page") || "1", 10) > 1) return false;
      var view = library.dataset.viewFolder;
      return view === "" || view === (folderId || "none");
    }

    function insertTile(html, assetId) {
      if (document.getElementById("asset-" + assetId)) return false;
      var grid = document.getElementById("asset-grid");
      if (!grid) return false;
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var tile = holder.firstElementChild;
      grid.prepend(tile);
      var empty = document.getElementById("asset-empty");
      if (empty) empty.remove();
      var all = document.getElementById("select-all");
      if (all) all.closest("label").hidden = false;
      if (window.htmx) window.htmx.process(tile);
      return true;
    }

    function setCount(node, n) {
      if (node) node.textContent = String(n);
    }

    function updateCounts(counts) {
      if (!counts) return;
      setCount(document.querySelector("[data-count-for=all]"), counts.total);
      setCount(document.querySelector("[data-count-for=none]"), counts.unfiled);
      Object.keys(counts.folders || {}).forEach(function (id) {
        setCount(document.querySelector('[data-count-for="' + id + '"]'), counts.folders[id]);
      });
      setCount(document.getElementById("storage-used"), counts.storage_used);
    }

    function addToResultCount(added) {
      var node = document.getElementById("results-count");
      if (!node || !added) return;
      var n = parseInt(node.dataset.count || "0", 10) + added;
      node.dataset.count = String(n);
      node.textContent = plural(n, "photo", "photos");
    }

    function removeLater(row) {
      window.setTimeout(function () {
        row.classList.add("is-leaving");
        window.setTimeout(function () { row.remove(); }, 400);
      }, DONE_ROW_MS);
    }

    function finish(ui, ok, message) {
      ui.row.classList.add(ok ? "is-done" : "is-error");
      ui.status.textContent = message;
      if (ok) {
        ui.bar.value = 100;
        batch.ok.push(ui.row);
      } else {
        batch.failed += 1;
        var dismiss = el("button", "btn btn-small upload-dismiss", "Dismiss");
        dismiss.type = "button";
        dismiss.setAttribute("aria-label", "Dismiss the error about " + ui.name);
        dismiss.addEventListener("click", function () {
          var target = ui.row.nextElementSibling || ui.row.previousElementSibling;
          ui.row.remove();
          ((target && target.querySelector("button")) || input).focus();
        });
        ui.status.parentNode.append(dismiss);
      }
    }

    function batchDone() {
      var b = batch;
      batch = null;
      updateCounts(b.counts);
      addToResultCount(b.inserted);
      b.ok.forEach(removeLater);
      var parts = [];
      if (b.ok.length) parts.push(plural(b.ok.length, "photo", "photos") + " uploaded.");
      if (b.failed) parts.push(plural(b.failed, "photo", "photos") + " could not be uploaded: the list above says why.");
      if (b.ok.length && !b.took && window.htmx && narrowed()) {
        beforeResults = parts.join(" ");
        window.htmx.ajax("GET", window.location.href, { target: "#asset-results", swap: "outerHTML" });
      } else {
        announce(parts.join(" "));
      }
    }

    function send(file, ui) {
      running += 1;
      var data = new FormData();
      data.append("file", file, file.name || "photo");
      var folder = form.querySelector("[name=folder]");
      var folderId = folder ? folder.value : "";
      if (folder) data.append("folder", folderId);
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
        // Uploads run in parallel and answer in any order: the counts with the most photos are
        // the latest (nothing is removed by an upload).
        if (body && body.library && (!batch.counts || body.library.total >= batch.counts.total)) {
          batch.counts = body.library;
        }
        if (!result) {
          finish(ui, false, xhr.status === 413 ? "This file is too large." : "The upload failed (error " + xhr.status + "). Try again.");
        } else if (result.ok) {
          finish(ui, true, result.message);
          // A duplicate stays where it already was: it is no new tile for this view.
          if (!result.duplicate && viewTakes(folderId)) {
            batch.took = true;
            if (insertTile(result.tile, result.asset_id)) batch.inserted += 1;
          }
        } else {
          finish(ui, false, result.message);
        }
      });
      xhr.addEventListener("error", function () { finish(ui, false, "The connection dropped. Try again."); });
      xhr.addEventListener("loadend", function () {
        running -= 1;
        next();
        if (!running && !queue.length) batchDone();
      });
      xhr.send(data);
    }

    function next() {
      while (running < MAX_PARALLEL && queue.length) {
        var job = queue.shift();
        send(job.file, job.ui);
      }
    }

    function uploadFiles(files) {
      if (!batch) batch = { ok: [], failed: 0, inserted: 0, took: false, counts: null };
      Array.prototype.forEach.call(files, function (file) {
        queue.push({ file: file, ui: addRow(file) });
      });
      announce("Uploading " + plural(files.length, "photo", "photos") + "…");
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
    var count = document.getElementById("selected-count");
    function boxes() { return document.querySelectorAll("input[name=assets][form=bulk-form]"); }
    function refresh() {
      var n = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
      var text = n + " selected";
      if (count.textContent !== text) count.textContent = text;
      bulk.classList.toggle("has-selection", n > 0);
    }
    document.addEventListener("change", function (e) {
      if (e.target.id === "select-all") {
        boxes().forEach(function (b) { b.checked = e.target.checked; });
      }
      if (e.target.id === "select-all" || e.target.name === "assets") refresh();
    });
    document.body.addEventListener("htmx:afterSettle", refresh);
    refresh();
  }

  /* ---- what htmx swapped in: search results and tiles that became ready --------------------- */
  function setupSwaps() {
    document.body.addEventListener("htmx:load", function (e) {
      var node = e.detail.elt;
      if (!node || !node.matches) return;
      if (node.id === "asset-results") {
        announce((beforeResults ? beforeResults + " " : "") + node.dataset.summary);
        beforeResults = "";
      } else if (node.matches(".tile-media[data-state=ready]")) {
        node.closest(".tile").classList.remove("tile-pending");
        announce("“" + node.dataset.title + "” is ready.");
      } else if (node.matches(".tile-media[data-state=failed]")) {
        announce("“" + node.dataset.title + "” could not be prepared.");
      }
    });
  }

  /* ---- the folder list behind a button on narrow screens (assets.css) ---------------------- */
  function setupFolderToggle() {
    var button = document.querySelector(".folders-toggle");
    var side = document.getElementById("library-side");
    if (!button || !side) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      side.classList.toggle("is-open", open);
    });
  }

  /* ---- focal point: a click on the photo, or the arrow keys on the marker ------------------ */
  var FOCAL_STEP = 0.01;
  var FOCAL_BIG_STEP = 0.1;

  function setupFocal() {
    var figure = document.getElementById("focal-figure");
    if (!figure) return;
    var marker = document.getElementById("focal-marker");
    var fx = document.getElementById("id_focal_x");
    var fy = document.getElementById("id_focal_y");
    function clamp(v) { return Math.min(1, Math.max(0, v)); }
    function place(x, y) {
      marker.style.left = (x * 100).toFixed(2) + "%";
      marker.style.top = (y * 100).toFixed(2) + "%";
      marker.setAttribute("aria-label", "Focal point: " + Math.round(x * 100) + "% across, " + Math.round(y * 100) + "% down");
    }
    function set(x, y) {
      // Two decimals: the fields' step is 0.01 (assets/forms.py).
      x = Math.round(clamp(x) * 100) / 100;
      y = Math.round(clamp(y) * 100) / 100;
      fx.value = x.toFixed(2);
      fy.value = y.toFixed(2);
      place(x, y);
    }
    function current() {
      return [parseFloat(fx.value) || 0, parseFloat(fy.value) || 0];
    }
    place(parseFloat(fx.value || marker.dataset.x), parseFloat(fy.value || marker.dataset.y));
    figure.addEventListener("click", function (e) {
      var rect = figure.getBoundingClientRect();
      set((e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height);
    });
    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    marker.addEventListener("keydown", function (e) {
      var move = moves[e.key];
      if (!move) return;
      e.preventDefault();
      var step = e.shiftKey ? FOCAL_BIG_STEP : FOCAL_STEP;
      var at = current();
      set(at[0] + move[0] * step, at[1] + move[1] * step);
    });
    [fx, fy].forEach(function (inp) {
      inp.addEventListener("input", function () { place(clamp(current()[0]), clamp(current()[1])); });
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
    dialog.setAttribute("aria-labelledby", "picker-title");
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
        dialog.addEventListener("htmx:load", function (ev) {
          if (ev.detail.elt.id !== "picker-results") return;
          dialog.querySelector("#picker-status").textContent = ev.detail.elt.dataset.summary;
        });
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
    setupSwaps();
    setupFolderToggle();
    setupFocal();
    setupPicker();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
