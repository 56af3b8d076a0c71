// Site behaviour that needs script. Kept small and CSP-clean: no inline handlers, no eval.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function wireToasts(root) {
    root.querySelectorAll(".toast").forEach(function (toast) {
      var close = toast.querySelector("button");
      if (close && !close.dataset.wired) {
        close.dataset.wired = "1";
        close.addEventListener("click", function () { toast.remove(); });
      }
    });
  }

  function wireConfirms(root) {
    // <form data-confirm="text"> asks before submitting (draws, approvals, retirements).
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function wireAutoSubmit(root) {
    // <select data-autosubmit> submits its form on change (the organization switcher, filters).
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  function wireSelectAll(root) {
    // A header checkbox with data-select-all="name" toggles every checkbox of that name.
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      if (box.dataset.wired) return;
      box.dataset.wired = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]').forEach(function (b) {
          b.checked = box.checked;
        });
      });
    });
  }

  function wireMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.querySelector(".sidenav");
    if (toggle && nav) toggle.addEventListener("click", function () { nav.classList.toggle("open"); });
  }

  function wireAll(root) {
    wireToasts(root); wireConfirms(root); wireAutoSubmit(root); wireSelectAll(root);
  }

  onReady(function () {
    wireMenu();
    wireAll(document);
    document.body.addEventListener("htmx:afterSwap", function (event) { wireAll(event.target); });
    // A dashboard panel whose list could not be loaded says so instead of "loading" for ever.
    function panelFailed(event) {
      var panel = event.detail.elt;
      var status = panel && panel.dataset.errorText ? panel.querySelector("[data-panel-status]") : null;
      if (status) { status.textContent = panel.dataset.errorText; panel.removeAttribute("aria-busy"); }
    }
    document.body.addEventListener("htmx:responseError", panelFailed);
    document.body.addEventListener("htmx:sendError", panelFailed);
  });
})();
