// Small behaviours on top of htmx. Everything works without them; they save clicks.
(function () {
  "use strict";

  // The log form's link guesses the platform unless the person already chose one.
  document.addEventListener("platform-guessed", function (event) {
    var select = document.getElementById("id_platform");
    if (select && !select.dataset.touched) {
      select.value = event.detail.value;
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_platform" && event.isTrusted) {
      event.target.dataset.touched = "1";
    }
  });

  // A form sends once: a second click while the first is on its way does nothing
  // (the server also refuses the duplicate, through the form's one-time key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("hx-post")) {
      form.dataset.submitting = "1";
      var button = form.querySelector("button[data-once]");
      if (button) {
        button.setAttribute("aria-busy", "true");
        button.textContent = "Saving…";
      }
    }
  });

  // Keep what was typed: drafts of long text fields survive a reload or a lost connection.
  function draftKey(field) {
    return "misfire-draft:" + location.pathname + ":" + field.name;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[name]").forEach(function (field) {
      var saved = sessionStorage.getItem(draftKey(field));
      if (saved && !field.value) { field.value = saved; }
      field.addEventListener("input", function () {
        sessionStorage.setItem(draftKey(field), field.value);
      });
      if (field.form) {
        field.form.addEventListener("submit", function () {
          sessionStorage.removeItem(draftKey(field));
        });
      }
    });
  });
})();

// Filter forms send only the fields that are set, so addresses stay short and shareable.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get" || !event.detail.elt.closest("form.filters")) { return; }
    var params = event.detail.parameters;
    var names = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    names.forEach(function (name) {
      var value = params instanceof FormData ? params.get(name) : params[name];
      if (value === "" || value === null) {
        if (params instanceof FormData) { params.delete(name); } else { delete params[name]; }
      }
    });
  });
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("form.filters")) { return; }
    event.target.querySelectorAll("input, select").forEach(function (field) {
      if (!field.value) { field.disabled = true; }
    });
  }, true);
})();
