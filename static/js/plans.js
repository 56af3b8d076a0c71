// Plan and task forms: show only the fields that apply (strata of the chosen mode, the batch count
// of a custom frequency). CSP-clean: no inline handlers. Without script every field stays visible
// and the server ignores the ones that do not apply.
(function () {
  "use strict";

  function sync(el) {
    var rule = el.getAttribute("data-show-when").split("=");
    var control = document.querySelector('[name="' + rule[0] + '"]');
    if (!control) return;
    el.classList.toggle("hidden", control.value !== rule[1]);
  }

  function wire() {
    var blocks = document.querySelectorAll("[data-show-when]");
    blocks.forEach(function (el) {
      sync(el);
      var name = el.getAttribute("data-show-when").split("=")[0];
      var control = document.querySelector('[name="' + name + '"]');
      if (control && !control.dataset.showWired) {
        control.dataset.showWired = "1";
        control.addEventListener("change", function () {
          document.querySelectorAll('[data-show-when^="' + name + '="]').forEach(sync);
        });
      }
    });
  }

  if (document.readyState !== "loading") wire(); else document.addEventListener("DOMContentLoaded", wire);
})();
