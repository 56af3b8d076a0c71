// A follow-up measure's form (inspections/handling_form.html, form[data-measure-form]): only the
// fields of the chosen measure are shown (each field's data-measures lists the measures it
// belongs to). Without script every field is shown and the service keeps those of the measure.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    var form = document.querySelector("form[data-measure-form]");
    if (!form) return;
    var measure = form.querySelector("select[name=measure]");
    if (!measure) return;
    function update() {
      form.querySelectorAll("[data-measures]").forEach(function (field) {
        var own = field.dataset.measures.split(" ");
        field.classList.toggle("hidden", !measure.value || own.indexOf(measure.value) < 0);
      });
    }
    measure.addEventListener("change", update);
    update();
  });
})();
