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

  // Sharing in the library follows the origin (other organisations' failures shared, our
  // own kept to the team) until the person answers the question themselves.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    if (!form || !event.isTrusted) { return; }
    if (field.name === "visibility") {
      form.dataset.visibilityTouched = "1";
    } else if (field.name === "origin" && !form.dataset.visibilityTouched) {
      var wanted = field.value === "external" ? "library" : "team";
      form.querySelectorAll("input[name=visibility]").forEach(function (radio) {
        radio.checked = radio.value === wanted;
        if (radio.checked) {
          // Announced (untrusted, so not taken for the person's answer) for the saved draft.
          radio.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
  });

  // Clicking the answer already chosen is an answer too, though it changes nothing.
  document.addEventListener("click", function (event) {
    var field = event.target;
    if (field.name === "visibility" && field.form && event.isTrusted) {
      field.form.dataset.visibilityTouched = "1";
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
        button.dataset.label = button.textContent;
        button.setAttribute("aria-busy", "true");
        button.textContent = "Saving…";
      }
    }
  });

  // Keep what was typed: a form marked data-keep-draft saves its fields in this tab's
  // sessionStorage as they change, and refills empty fields after a reload, a lost
  // connection or a sign-in that expired mid-way. The draft is dropped once a save succeeded
  // (the next page shows a success or an already-saved message).
  var PENDING = "misfire-draft-pending";
  function draftKey(form) { return "misfire-draft:" + (form.dataset.keepDraft || location.pathname); }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.type !== "hidden" && field.type !== "password" &&
        field.type !== "submit" && field.type !== "button";
    });
  }
  function save(form) {
    var data = {};
    fields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) { (data[field.name] = data[field.name] || []).push(field.value); }
      } else {
        data[field.name] = field.value;
      }
    });
    sessionStorage.setItem(draftKey(form), JSON.stringify(data));
  }
  function restore(form) {
    var saved = sessionStorage.getItem(draftKey(form));
    // The server's copy wins: a form it sent back (errors, a warning) holds what was sent.
    if (!saved || form.querySelector(".errorlist") || form.hasAttribute("data-sent")) { return; }
    var data = JSON.parse(saved);
    var restored = false;
    fields(form).forEach(function (field) {
      if (!(field.name in data)) { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        var checked = data[field.name].indexOf(field.value) !== -1;
        restored = restored || checked !== field.checked;
        field.checked = checked;
      } else if (data[field.name] && data[field.name] !== field.value &&
                 (!field.value || field.tagName === "SELECT" || field.type === "date")) {
        field.value = data[field.name];
        restored = true;
      }
    });
    if (restored) {
      var note = document.createElement("p");
      note.className = "alert";
      note.setAttribute("role", "status");
      note.textContent = "We restored what you typed here before. ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link";
      discard.textContent = "Start over";
      discard.addEventListener("click", function () {
        sessionStorage.removeItem(draftKey(form));
        location.reload();
      });
      note.appendChild(discard);
      form.insertBefore(note, form.firstChild);
    }
  }
  // A page brought back by the Back button is live again: its form may be sent again (the
  // server then warns if that incident is already logged).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      var button = form.querySelector("button[data-once]");
      if (button) {
        button.removeAttribute("aria-busy");
        button.textContent = button.dataset.label || button.textContent;
      }
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var pending = sessionStorage.getItem(PENDING);
    if (pending && document.querySelector(".alert-success, .alert-info")) {
      sessionStorage.removeItem(pending);
      sessionStorage.removeItem(PENDING);
    }
    document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
      restore(form);
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function () { sessionStorage.setItem(PENDING, draftKey(form)); });
    });
  });

  // The "looks like…" panel keeps its hint until something is typed; a form that comes back
  // filled (a refused save, a restored draft, the Back button) asks for its panel at once.
  function askForSimilar() {
    var form = document.getElementById("log-form");
    if (!form || !window.htmx) { return; }
    var typed = ["title", "organization", "link"].some(function (name) {
      return form.elements[name] && form.elements[name].value.trim();
    });
    if (typed) { htmx.trigger(form, "misfire:typed"); }
  }
  window.addEventListener("load", askForSimilar);
  window.addEventListener("pageshow", function (event) { if (event.persisted) { askForSimilar(); } });
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

// The header's menu button on narrow screens (CSS shows it only there, and only once this ran:
// without JS the links are listed as they are). Escape closes it and returns to the button.
(function () {
  "use strict";
  var button = document.querySelector(".topbar .menu-toggle");
  if (!button) { return; }
  var header = button.closest(".topbar");
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }
  header.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
