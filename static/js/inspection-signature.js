// The firm's signature drawn on the phone's screen (inspections/detail.html, canvas[data-signature-pad]).
//
// Pointer events (finger, pen or mouse) draw smooth strokes on a canvas sized to the screen's
// pixel ratio; "保存签字" exports the drawing as a PNG and uploads it to the canvas's data-upload
// URL as the signature. Offline, the PNG waits in localStorage ("ssj-signature:<upload URL>") and
// is uploaded when the connection returns. The saved signature is shown in place; the page's
// autosave learns the inspection's new revision through the "inspection:revision" event.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    var canvas = document.querySelector("canvas[data-signature-pad]");
    if (!canvas || !canvas.getContext || !window.fetch) return;
    var block = canvas.closest(".signature-block");
    var wrap = block.querySelector("[data-signature-pad-wrap]");
    var fallback = block.querySelector("[data-signature-fallback]");
    var shown = block.querySelector("[data-signature-shown]");
    var image = block.querySelector("[data-signature-img]");
    var status = block.querySelector("[data-sig-status]");
    var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
    var csrf = csrfInput ? csrfInput.value : "";
    var key = "ssj-signature:" + canvas.dataset.upload;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var strokes = 0;
    var last = null;

    var again = block.querySelector("[data-sig-again]");
    // A signature taken already is shown; the pad opens again on request.
    function padShown(on) {
      wrap.classList.toggle("hidden", !on);
      if (again) again.classList.toggle("hidden", on);
    }
    padShown(shown.classList.contains("hidden"));
    if (fallback) fallback.classList.add("hidden");
    if (again) again.addEventListener("click", function () { padShown(true); size(); });

    function size() {
      // Backing pixels follow the CSS size and the screen's density, so strokes stay sharp.
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * ratio));
      canvas.height = Math.max(1, Math.round(rect.height * ratio));
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.4;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      strokes = 0;
    }
    size();
    window.addEventListener("resize", function () { if (!strokes) size(); });

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      strokes += 1;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      events.forEach(function (e) {
        var p = point(e);
        ctx.beginPath();
        ctx.moveTo(last.x, last.y);
        ctx.quadraticCurveTo(last.x, last.y, (last.x + p.x) / 2, (last.y + p.y) / 2);
        ctx.lineTo(p.x, p.y);
        ctx.stroke();
        last = p;
      });
    });
    function stop(event) {
      if (!drawing) return;
      drawing = false;
      if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    function say(text, bad) {
      status.textContent = text;
      status.classList.toggle("text-bad", !!bad);
    }

    block.querySelector("[data-sig-clear]").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      strokes = 0;
      say("");
    });

    function upload(blob) {
      var data = new FormData();
      data.append("file", blob, "signature.png");
      say(status.dataset.textSaving);
      return fetch(canvas.dataset.upload, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "Accept": "application/json", "X-CSRFToken": csrf }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        if (answer.status === 200 && answer.body.ok) {
          try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
          image.src = answer.body.url + "?v=" + answer.body.revision;
          shown.classList.remove("hidden");
          ctx.clearRect(0, 0, canvas.width, canvas.height);
          strokes = 0;
          padShown(false);
          say(status.dataset.textSaved + " " + (answer.body.saved_at || ""));
          document.dispatchEvent(new CustomEvent("inspection:revision", { detail: { revision: answer.body.revision } }));
        } else {
          say(answer.body.error || "", true);
        }
      }, function () {
        keepOffline(blob);
      });
    }

    function keepOffline(blob) {
      var reader = new FileReader();
      reader.onload = function () {
        try { window.localStorage.setItem(key, reader.result); } catch (e) { /* too big to keep */ }
        say(status.dataset.textOffline, true);
      };
      reader.readAsDataURL(blob);
    }

    function pending() {
      var url;
      try { url = window.localStorage.getItem(key); } catch (e) { url = null; }
      if (!url) return;
      // Decoded here: fetching a data: URL is not a connection our CSP allows.
      var bytes = window.atob(url.split(",")[1] || "");
      var array = new Uint8Array(bytes.length);
      for (var i = 0; i < bytes.length; i += 1) array[i] = bytes.charCodeAt(i);
      upload(new Blob([array], { type: "image/png" }));
    }

    block.querySelector("[data-sig-save]").addEventListener("click", function () {
      if (!strokes) { say(status.dataset.textEmpty, true); return; }
      canvas.toBlob(function (blob) {
        if (navigator.onLine === false) keepOffline(blob); else upload(blob);
      }, "image/png");
    });
    window.addEventListener("online", pending);
    if (navigator.onLine !== false) pending();
  });
})();
