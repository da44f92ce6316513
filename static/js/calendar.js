// Calendar: drag a scheduled post onto another day to move it there (it keeps its time).
(function () {
  "use strict";
  var calendar = document.querySelector(".calendar[data-move-url]");
  if (!calendar) return;
  var status = document.getElementById("calendar-status");
  function csrf() {
    var m = document.body.getAttribute("hx-headers");
    try { return JSON.parse(m)["X-CSRFToken"]; } catch (e) { return ""; }
  }
  calendar.addEventListener("dragstart", function (e) {
    var chip = e.target.closest("[data-post-id]");
    if (!chip) return;
    e.dataTransfer.setData("text/plain", chip.dataset.postId);
    e.dataTransfer.effectAllowed = "move";
  });
  calendar.addEventListener("dragover", function (e) {
    var day = e.target.closest(".cal-day");
    if (!day) return;
    e.preventDefault();
    calendar.querySelectorAll(".is-drop").forEach(function (d) { if (d !== day) d.classList.remove("is-drop"); });
    day.classList.add("is-drop");
  });
  calendar.addEventListener("dragleave", function (e) {
    var day = e.target.closest(".cal-day");
    if (day && !day.contains(e.relatedTarget)) day.classList.remove("is-drop");
  });
  calendar.addEventListener("drop", function (e) {
    var day = e.target.closest(".cal-day");
    var id = e.dataTransfer.getData("text/plain");
    if (!day || !id) return;
    e.preventDefault();
    day.classList.remove("is-drop");
    var data = new FormData();
    data.append("post_id", id);
    data.append("date", day.dataset.date);
    status.textContent = "Moving…";
    fetch(calendar.dataset.moveUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRFToken": csrf() } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        status.textContent = body.message;
        if (body.ok) window.location.reload();
      })
      .catch(function () { status.textContent = "The post could not be moved. Try again."; });
  });
})();
