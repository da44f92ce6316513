// Tenants app: progressive enhancement only; every form works without this file.
(function () {
  "use strict";

  function slugify(text) {
    return text
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)
      .replace(/-+$/g, "");
  }

  // Sign-up: the web address follows the restaurant name until the person edits it.
  document.querySelectorAll("input[data-slug-from]").forEach(function (slug) {
    var source = document.getElementById(slug.dataset.slugFrom);
    if (!source) return;
    var touched = slug.value !== "" && slug.value !== slugify(source.value);
    slug.addEventListener("input", function () { touched = slug.value !== ""; });
    source.addEventListener("input", function () {
      if (!touched) slug.value = slugify(source.value);
    });
  });

  // Sign-up: preselect the browser's time zone when the server left the default.
  var tz = document.querySelector("select[name=timezone]");
  if (tz && !tz.closest("form").querySelector(".errorlist") && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.querySelector("form[action$='/signup/']") &&
        Array.prototype.some.call(tz.options, function (o) { return o.value === zone; })) {
      tz.value = zone;
    }
  }

  // Profile: an empty extra opening (the third, for breakfast) stays folded away behind an
  // "Add an opening" button until needed; rows with times or errors are always shown.
  function foldExtraOpenings(day) {
    var folded = Array.prototype.filter.call(
      day.querySelectorAll("[data-slot-collapsible]"),
      function (slot) {
        var empty = Array.prototype.every.call(
          slot.querySelectorAll("input[type=time]"), function (t) { return t.value === ""; });
        return empty && !slot.querySelector(".errorlist");
      });
    if (!folded.length) return null;
    folded.forEach(function (slot) { slot.hidden = true; });
    var add = document.createElement("button");
    add.type = "button";
    add.className = "btn btn-small slot-add";
    add.textContent = "Add an opening";
    add.addEventListener("click", function () {
      var next = folded.shift();
      next.hidden = false;
      next.querySelector("input[type=time]").focus();
      if (!folded.length) add.remove();
    });
    day.querySelector(".slots").appendChild(add);
    return add;
  }

  // Profile: a closed day's times are greyed out and not sent.
  document.querySelectorAll("[data-day]").forEach(function (day) {
    var add = foldExtraOpenings(day);
    var closed = day.querySelector("input[type=checkbox]");
    if (!closed) return;
    function sync() {
      day.classList.toggle("is-closed", closed.checked);
      day.querySelectorAll("input[type=time]").forEach(function (t) { t.disabled = closed.checked; });
      if (add) add.disabled = closed.checked;
    }
    closed.addEventListener("change", sync);
    sync();
  });
})();
