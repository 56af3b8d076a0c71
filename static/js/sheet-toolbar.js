// The document previews' 打印 button (no inline handlers under the CSP): shown only when the
// script runs, so a page without JavaScript offers no button that does nothing.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
