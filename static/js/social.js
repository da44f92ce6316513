// Accounts page: ask before disconnecting (forms carry data-confirm; CSP forbids inline handlers).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
