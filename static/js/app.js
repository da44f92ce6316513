// Every page: the phone menu button (the navigation stays open and the button hidden without
// JavaScript), and the focus on the first field a form sent back as wrong (docs/accessibility.md).
// Loaded in <head> without defer so the "js" class is set before the first paint.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  // A form that came back with errors: keyboard and screen-reader users land on the first field
  // to fix (its error is read with it, aria-describedby), not at the top of the page.
  var invalid = document.querySelector("main [aria-invalid=true]");
  if (invalid && !document.querySelector("[autofocus]")) invalid.focus();
  var toggle = document.querySelector(".menu-toggle");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) return;
  toggle.hidden = false;
  function set(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  toggle.addEventListener("click", function () {
    set(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      set(false);
      toggle.focus();
    }
  });
});
