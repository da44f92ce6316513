// The composer: version tabs, Instagram counters, the ordered photo list (picker, quick upload,
// suggestions, reorder by buttons), drafts into the text box, and one submit per form.
(function () {
  "use strict";
  var form = document.getElementById("composer-form");
  if (!form) return;
  var idsInput = form.querySelector("input[name=asset_ids]");
  var list = document.getElementById("media-list");
  var empty = document.getElementById("media-empty");
  var mediaStatus = document.getElementById("media-status");
  var text = form.querySelector("textarea[name=text]");
  var textIg = form.querySelector("textarea[name=text_instagram]");

  function csrf() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function mediaChanged(message) {
    var ids = Array.prototype.map.call(list.querySelectorAll("li[data-asset-id]"), function (li) { return li.dataset.assetId; });
    idsInput.value = ids.join(",");
    empty.hidden = ids.length > 0;
    if (message) mediaStatus.textContent = message;
    document.body.dispatchEvent(new CustomEvent("composer:media"));
  }
  function button(label, aria, attr, value) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn btn-small"; b.textContent = label;
    b.setAttribute("aria-label", aria); b.setAttribute(attr, value);
    return b;
  }
  function addPhoto(id, thumb, title) {
    id = String(id);
    if (list.querySelector('li[data-asset-id="' + id + '"]')) return false;
    if (list.children.length >= 10) { mediaStatus.textContent = "A post can have at most 10 photos."; return false; }
    title = title || "Photo";
    var li = document.createElement("li");
    li.className = "media-item"; li.dataset.assetId = id;
    var img = document.createElement("img");
    img.src = thumb || ""; img.alt = title; img.width = 72; img.height = 72;
    var name = document.createElement("span"); name.className = "media-title"; name.textContent = title;
    var actions = document.createElement("span"); actions.className = "media-actions";
    actions.appendChild(button("↑", "Move " + title + " earlier", "data-move", "-1"));
    actions.appendChild(button("↓", "Move " + title + " later", "data-move", "1"));
    actions.appendChild(button("Remove", "Remove " + title, "data-remove", ""));
    li.appendChild(img); li.appendChild(name); li.appendChild(actions);
    list.appendChild(li);
    return true;
  }

  list.addEventListener("click", function (e) {
    var li = e.target.closest("li[data-asset-id]");
    if (!li) return;
    var title = li.querySelector(".media-title").textContent;
    if (e.target.closest("[data-remove]")) {
      var next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      mediaChanged(title + " removed.");
      var focus = next ? next.querySelector("[data-remove]") : form.querySelector("[data-asset-picker]");
      if (focus) focus.focus();
      return;
    }
    var move = e.target.closest("[data-move]");
    if (move) {
      var step = parseInt(move.dataset.move, 10);
      var sibling = step < 0 ? li.previousElementSibling : li.nextElementSibling;
      if (!sibling) return;
      if (step < 0) list.insertBefore(li, sibling); else list.insertBefore(sibling, li);
      move.focus();
      var position = Array.prototype.indexOf.call(list.children, li) + 1;
      mediaChanged(title + " is now photo " + position + " of " + list.children.length + ".");
    }
  });

  document.addEventListener("assets:picked", function (e) {
    var added = 0;
    (e.detail.ids || []).forEach(function (id, i) { if (addPhoto(id, e.detail.thumbs[i], "Photo " + id)) added++; });
    mediaChanged(added + " photo" + (added === 1 ? "" : "s") + " added.");
  });

  document.addEventListener("click", function (e) {
    var attach = e.target.closest("[data-attach]");
    if (attach) {
      if (addPhoto(attach.dataset.attach, attach.dataset.thumb, attach.dataset.title)) mediaChanged(attach.dataset.title + " attached.");
      return;
    }
    var use = e.target.closest("[data-use-draft]");
    if (use) {
      text.value = use.dataset.caption;
      text.dispatchEvent(new Event("input", { bubbles: true }));
      showTab("all");
      text.focus();
    }
  });

  // Quick upload: the library's upload endpoint, then the new photos join the post.
  var upload = document.getElementById("quick-upload");
  if (upload) upload.addEventListener("change", function () {
    if (!upload.files.length) return;
    var data = new FormData();
    Array.prototype.forEach.call(upload.files, function (f) { data.append("file", f); });
    data.append("csrfmiddlewaretoken", csrf());
    mediaStatus.textContent = "Uploading…";
    fetch(form.dataset.uploadUrl, { method: "POST", body: data, headers: { "Accept": "application/json", "X-CSRFToken": csrf() }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        var messages = [];
        (body.results || []).forEach(function (r) {
          if (r.ok) { addPhoto(r.asset_id, "", r.name); messages.push(r.name + ": " + r.message); }
          else { messages.push((r.name ? r.name + ": " : "") + r.message); }
        });
        mediaChanged(messages.join(" "));
        upload.value = "";
      })
      .catch(function () { mediaStatus.textContent = "The upload did not go through. Try again."; });
  });

  // Version tabs (Everywhere / Facebook / Instagram), keyboard: arrows move between tabs.
  var tabs = Array.prototype.slice.call(form.querySelectorAll("[role=tab]"));
  function showTab(name) {
    tabs.forEach(function (tab) {
      var on = tab.id === "tab-" + name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    });
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { showTab(tab.id.replace("tab-", "")); });
    tab.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      var next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      showTab(next.id.replace("tab-", "")); next.focus(); e.preventDefault();
    });
  });
  if (form.querySelector("#panel-facebook .errorlist")) showTab("facebook");
  if (textIg.value || form.querySelector(".errorlist[role=alert]") && textIg.closest(".has-error")) showTab("instagram");

  // Instagram's limits, counted live on the text Instagram will get.
  var counters = document.getElementById("ig-counters");
  var status = document.getElementById("counter-status");
  var wasOver = false;
  function count() {
    var caption = textIg.value || text.value;
    var figures = {
      chars: [caption.length, +counters.dataset.maxChars, "characters"],
      tags: [(caption.match(/(^|[^\w&#])#\w/g) || []).length, +counters.dataset.maxTags, "hashtags"],
      mentions: [(caption.match(/(^|[^\w.])@[\w.]/g) || []).length, +counters.dataset.maxMentions, "mentions"]
    };
    var over = [];
    Object.keys(figures).forEach(function (key) {
      var f = figures[key];
      var el = counters.querySelector('[data-count="' + key + '"]');
      el.textContent = f[0].toLocaleString() + " / " + f[1].toLocaleString() + " " + f[2];
      el.classList.toggle("is-over", f[0] > f[1]);
      if (f[0] > f[1]) over.push(f[2]);
    });
    var isOver = over.length > 0;
    if (isOver !== wasOver) status.textContent = isOver ? "Too many " + over.join(" and ") + " for Instagram." : "The text fits Instagram again.";
    wasOver = isOver;
  }
  text.addEventListener("input", count);
  textIg.addEventListener("input", count);
  count();

  // One submit per form: a second click while the first is on its way does nothing.
  form.addEventListener("submit", function (e) {
    if (form.dataset.sending) { e.preventDefault(); return; }
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
  });
})();
