// The check form saves as one types (inspections/detail.html, form[data-autosave]).
//
// Each change is kept at once in localStorage ("ssj-draft:inspection:<id>": the fields not yet
// acknowledged by the server, with the revisions they were typed against), then sent 800 ms after
// the last keystroke as JSON to the form's action. The server's answer gives the new revisions; a
// save against an older revision is answered with the conflict (both texts kept by the server),
// whose box replaces #conflicts. Offline or failing, the fields stay in localStorage and are sent
// again when the connection returns ("online") or on the next retry. A reload that finds unsent
// fields differing from the page offers them back (#draft-local: restore and save, or discard).
// Photos and PDFs chosen for a check point are uploaded at once (their own small forms).
(function () {
  "use strict";

  var DELAY = 800;
  var RETRY = 15000;

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    var form = document.querySelector("form[data-autosave]");
    if (!form) return;
    var key = "ssj-draft:inspection:" + form.dataset.inspection;
    var offeredKey = key + ":offered";
    var revision = form.querySelector("[data-revision]");
    var partRevision = form.querySelector("[data-part-revision]");
    var statusEl = document.getElementById("save-status");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var SKIP = { csrfmiddlewaretoken: 1, full: 1, revision: 1, part_revision: 1 };
    var dirty = {};      // name -> value, not yet acknowledged by the server
    var refused = {};    // name -> value the server refused (sent again once changed)
    var timer = null;
    var retryTimer = null;
    var inFlight = null; // the promise of the save under way
    var stopped = false; // the server refused the user (403): nothing more to send

    // ---------------------------------------------------------------- values
    function elementsOf(name) {
      return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
    }
    function valueOf(name) {
      var els = elementsOf(name);
      if (!els.length) return null;
      var first = els[0];
      if (first.type === "checkbox" && name === "results") {
        return els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
      }
      if (first.type === "checkbox") return first.checked;
      if (first.type === "radio") {
        var on = els.filter(function (el) { return el.checked; })[0];
        return on ? on.value : "";
      }
      return first.value;
    }
    function setValue(name, value) {
      elementsOf(name).forEach(function (el) {
        if (el.type === "checkbox" && name === "results") el.checked = (value || []).indexOf(el.value) >= 0;
        else if (el.type === "checkbox") el.checked = value === true || value === "on" || value === "1";
        else if (el.type === "radio") el.checked = el.value === value;
        else el.value = value == null ? "" : value;
      });
    }
    function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
    function count(obj) { return Object.keys(obj).length; }
    function draftName(el) {
      return el && el.name && el.form === form && !SKIP[el.name] && el.type !== "file" ? el.name : null;
    }

    // ---------------------------------------------------------------- local copy
    function read(k) {
      try { return JSON.parse(window.localStorage.getItem(k) || "null"); } catch (e) { return null; }
    }
    function write(k, value) {
      try {
        if (value) window.localStorage.setItem(k, JSON.stringify(value)); else window.localStorage.removeItem(k);
      } catch (e) { /* storage full or disabled: the server copy is all there is */ }
    }
    function keep() {
      write(key, count(dirty) ? {
        revision: revision.value, part_revision: partRevision ? partRevision.value : null, fields: dirty, at: Date.now()
      } : null);
    }

    // ---------------------------------------------------------------- status and errors
    function say(state, text) {
      if (!statusEl) return;
      statusEl.className = "save-status " + state;
      statusEl.textContent = text;
      form.dataset.saveState = state;
    }
    function errorList(name) {
      var list = document.querySelector('[data-errors-for="' + name + '"]');
      if (!list) {
        var holder = form.querySelector('[data-field="' + name + '"]');
        if (!holder) return null;
        list = document.createElement("ul");
        list.className = "errorlist";
        list.dataset.errorsFor = name;
        holder.appendChild(list);
      }
      return list;
    }
    function showErrors(errors) {
      var loose = [];
      Object.keys(errors).forEach(function (name) {
        var list = errorList(name.replace(/_note$/, ""));
        if (!list) { loose = loose.concat(errors[name]); return; }
        list.textContent = "";
        errors[name].forEach(function (message) {
          var li = document.createElement("li");
          li.textContent = message;
          list.appendChild(li);
        });
        var box = list.closest("fieldset, .field");
        if (box) box.classList.add("has-error");
      });
      return loose;
    }
    function clearErrors(name) {
      var list = document.querySelector('[data-errors-for="' + name.replace(/_note$/, "") + '"]');
      if (list) {
        list.textContent = "";
        var box = list.closest("fieldset, .field");
        if (box) box.classList.remove("has-error");
      }
    }

    // ---------------------------------------------------------------- sending
    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(flush, delay);
    }
    function retryLater() {
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(flush, RETRY);
    }

    function flush() {
      window.clearTimeout(timer);
      if (inFlight) return inFlight.then(function () { return count(dirty) ? flush() : null; });
      var batch = {};
      Object.keys(dirty).forEach(function (name) {
        if (!(name in refused) || !same(refused[name], dirty[name])) batch[name] = dirty[name];
      });
      if (stopped || !count(batch)) return Promise.resolve();
      if (navigator.onLine === false) {
        say("offline", form.dataset.textOffline);
        return Promise.resolve();
      }
      say("saving", form.dataset.textSaving);
      var body = { revision: revision.value, fields: batch };
      if (partRevision) body.part_revision = partRevision.value;
      inFlight = fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, data: data };
        });
      }).then(function (answer) {
        inFlight = null;
        handle(answer.status, answer.data, batch);
      }, function () {
        inFlight = null;
        say("offline", form.dataset.textOffline);
        retryLater();
      });
      return inFlight;
    }

    function handle(status, data, batch) {
      if (status === 200 && data.ok) {
        revision.value = data.revision;
        if (partRevision && data.part_revision != null) partRevision.value = data.part_revision;
        Object.keys(batch).forEach(function (name) {
          if (same(dirty[name], batch[name])) delete dirty[name];
          delete refused[name];
          clearErrors(name);
        });
        keep();
        var badge = document.querySelector('[data-testid="inspection-status"]');
        if (badge && data.status_label) badge.textContent = data.status_label;
        if (data.conflict) {
          Object.keys(data.values || {}).forEach(function (name) {
            if (!(name in dirty)) setValue(name, data.values[name]);
          });
          var box = document.getElementById("conflicts");
          if (box && data.conflicts_html != null) box.innerHTML = data.conflicts_html;
          say("conflict", form.dataset.textConflict);
        } else {
          say("saved", form.dataset.textSaved + " " + (data.saved_at || ""));
        }
        if (count(dirty)) schedule(DELAY);
        return;
      }
      if (status === 400 && data.errors) {
        var loose = showErrors(data.errors);
        var named = Object.keys(data.errors).filter(function (n) { return n !== "__all__"; });
        // A refused field waits until it is changed; the other fields are sent again now.
        named.forEach(function (n) {
          if (n in batch) refused[n] = batch[n];
          if (n + "_note" in batch) refused[n + "_note"] = batch[n + "_note"];
        });
        say("error", loose.length ? loose.join("；") : form.dataset.textError);
        var rest = Object.keys(batch).filter(function (n) { return !(n in refused); });
        if (named.length && rest.length) schedule(0);
        return;
      }
      if (status === 403) {
        stopped = true;
        say("error", data.error || form.dataset.textError);
        return;
      }
      say("failed", form.dataset.textFailed);
      retryLater();
    }

    // ---------------------------------------------------------------- typing
    function changed(event) {
      var name = draftName(event.target);
      if (!name) return;
      if (name === "results" && event.target.checked) exclusive(event.target);
      dirty[name] = valueOf(name);
      keep();
      schedule(DELAY);
    }
    // 未发现问题 (and any exclusive code) stands alone: ticking it clears the others, and back.
    function exclusive(box) {
      elementsOf("results").forEach(function (el) {
        if (el !== box && el.checked && (box.hasAttribute("data-exclusive") || el.hasAttribute("data-exclusive"))) {
          el.checked = false;
        }
      });
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // The form's own button (for pages without script) saves what is pending, staying on the page.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      flush();
    });
    window.addEventListener("online", function () { flush(); });
    document.addEventListener("inspection:revision", function (event) {
      if (event.detail && event.detail.revision != null) revision.value = event.detail.revision;
    });

    // Submitting: what is typed is saved first; never while offline.
    var submitForm = document.getElementById("submit-form");
    if (submitForm) {
      submitForm.addEventListener("submit", function (event) {
        if (!count(dirty) && !inFlight) return;
        event.preventDefault();
        if (navigator.onLine === false) { say("offline", form.dataset.textOffline); return; }
        flush().then(function () {
          if (!count(dirty)) submitForm.submit(); else say("error", form.dataset.textFlush);
        });
      });
    }

    // ---------------------------------------------------------------- an unsent copy from before
    function offer() {
      var stored = read(key);
      var earlier = read(offeredKey);
      var fields = {};
      var at = 0;
      [earlier, stored].forEach(function (copy) {
        if (!copy || !copy.fields) return;
        Object.keys(copy.fields).forEach(function (name) { fields[name] = copy.fields[name]; });
        at = Math.max(at, copy.at || 0);
      });
      var base = earlier || stored;
      Object.keys(fields).forEach(function (name) {
        if (!elementsOf(name).length || same(valueOf(name), fields[name])) delete fields[name];
      });
      write(key, null);
      if (!count(fields)) { write(offeredKey, null); return; }
      var copy = { revision: base.revision, part_revision: base.part_revision, fields: fields, at: at };
      write(offeredKey, copy);
      var banner = document.getElementById("draft-local");
      if (!banner) return;
      var when = new Date(at);
      var text = form.dataset.textLocal.replace("%(n)s", count(fields))
        .replace("%(at)s", when.toLocaleDateString() + " " + when.toLocaleTimeString());
      banner.querySelector("[data-local-text]").textContent = text;
      banner.classList.remove("hidden");
      banner.querySelector("[data-local-restore]").addEventListener("click", function () {
        Object.keys(copy.fields).forEach(function (name) {
          setValue(name, copy.fields[name]);
          dirty[name] = copy.fields[name];
        });
        // Sent against the revisions they were typed on: the server keeps both where others saved since.
        if (copy.revision && Number(copy.revision) < Number(revision.value)) revision.value = copy.revision;
        if (partRevision && copy.part_revision && Number(copy.part_revision) < Number(partRevision.value)) {
          partRevision.value = copy.part_revision;
        }
        write(offeredKey, null);
        keep();
        banner.classList.add("hidden");
        flush();
      });
      banner.querySelector("[data-local-discard]").addEventListener("click", function () {
        write(offeredKey, null);
        banner.classList.add("hidden");
      });
    }
    offer();

    // ---------------------------------------------------------------- evidence
    // The size limit and accepted extensions ({% upload_limits %} on the input, else on the form):
    // a file the server would refuse is refused here, before minutes of upload on a slow line.
    // The server still checks every file, by content.
    function humanSize(n) {  // as tenancy.uploads.human_size: 12582912 -> "12 MB"
      var units = ["B", "KB", "MB", "GB"];
      var size = n;
      for (var i = 0; i < units.length; i++) {
        if (size < 1024 || units[i] === "GB") {
          if (units[i] === "B") return Math.floor(size) + " B";
          return size.toFixed(1).replace(/0+$/, "").replace(/\.$/, "") + " " + units[i];
        }
        size /= 1024;
      }
    }
    function fill(text, file) {
      return (text || "").replace("{name}", file.name).replace("{size}", humanSize(file.size));
    }
    function refusal(input, file) {
      var limits = input.dataset.maxBytes ? input.dataset : form.dataset;
      var max = Number(limits.maxBytes || 0);
      if (max && file.size > max) return fill(limits.textTooLarge, file);
      var extensions = (limits.extensions || "").split(",").filter(Boolean);
      var dot = file.name.lastIndexOf(".");
      var ext = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
      if (extensions.length && extensions.indexOf(ext) < 0) return fill(limits.textWrongType, file);
      return null;
    }
    document.querySelectorAll("[data-evidence-submit]").forEach(function (b) { b.classList.add("hidden"); });
    document.querySelectorAll("[data-evidence-input]").forEach(function (input) {
      input.addEventListener("change", function () {
        var upload = input.form;
        var row = input.closest(".upload-row");
        var note = row ? row.querySelector("[data-upload-status]") : null;
        if (!upload || !input.files || !input.files.length) return;
        if (note) note.classList.remove("text-bad");
        var why = refusal(input, input.files[0]);
        if (why) {
          input.value = "";
          if (note) { note.textContent = why; note.classList.add("text-bad"); }
          return;
        }
        if (navigator.onLine === false) { if (note) note.textContent = form.dataset.textUploadOffline; return; }
        if (note) note.textContent = form.dataset.textUploading;
        var data = new FormData(upload);
        fetch(upload.action, {
          method: "POST", credentials: "same-origin", body: data,
          headers: { "Accept": "application/json", "X-CSRFToken": csrf }
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body }; });
        }).then(function (answer) {
          input.value = "";
          if (answer.status === 200 && answer.body.ok) {
            var list = document.querySelector('[data-evidence-list="' + upload.dataset.list + '"]');
            if (list) list.innerHTML = answer.body.html;
            if (note) note.textContent = "";
          } else if (note) {
            note.textContent = answer.body.error || form.dataset.textFailed;
            note.classList.add("text-bad");
          }
        }, function () {
          if (note) note.textContent = form.dataset.textUploadOffline;
        });
      });
    });
  });
})();
