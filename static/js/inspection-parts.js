// The inspection page: on a joint visit, the other departments' parts (read-only) start collapsed
// on a phone, so one's own part comes first; on a wider screen, or without script, they stay open.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 640px)").matches) return;
  document.querySelectorAll("details[data-collapse-narrow]").forEach(function (el) { el.open = false; });
})();
