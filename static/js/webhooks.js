// Inbox: keep the newest message in view, count characters against the network's limit, never
// replace a thread that holds a half-written comment reply or a list that holds the focus, and
// ask before hiding or deleting.
(() => {
  const scrollToEnd = () => {
    const thread = document.getElementById("thread-messages");
    if (thread) thread.scrollTop = thread.scrollHeight;
  };
  document.addEventListener("DOMContentLoaded", scrollToEnd);
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "thread-messages") scrollToEnd();
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    // Never pull the list out from under a keyboard user's focus; it refreshes once they leave.
    if (target && target.id === "inbox-list" && target.contains(document.activeElement)) {
      event.detail.shouldSwap = false;
      return;
    }
    if (!target || target.id !== "thread-messages") return;
    const typing = [...target.querySelectorAll("textarea")].some((t) => t.value.trim() !== "");
    const open = target.querySelector("details[open]");
    if (typing || open) event.detail.shouldSwap = false;
  });
  document.addEventListener("input", (event) => {
    const box = event.target.closest("textarea[data-limit]");
    if (!box) return;
    const counter = document.getElementById("reply-count");
    const limit = Number(box.dataset.limit);
    const left = limit - box.value.length;
    if (counter) {
      counter.textContent = left >= 0 ? `${left} characters left.` : `${-left} characters over the limit of ${limit}.`;
      counter.classList.toggle("reply-over", left < 0);
    }
  });
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
