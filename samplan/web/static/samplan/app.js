/* Samplan: small enhancements on top of pages that work without JavaScript.
 *
 * 1. A form is sent once: a second press of its button while the first is on its way does
 *    nothing (the server refuses stale or repeated steps too).
 * 2. The idle session does not end unannounced: shortly before it does, a dialog offers
 *    "Förläng", which asks the server to keep the session.
 * 3. Forms marked data-keep keep what was typed in the tab's sessionStorage, so that a session
 *    that ended mid-form loses nothing: after logging in again the fields are filled in again.
 * 4. After htmx replaces a form, focus goes to its errors or to its first field.
 *
 * Loaded with the page's CSP nonce; no inline handlers anywhere.
 */
(function () {
  "use strict";

  var doc = document;
  var body = doc.body;

  function text(name) {
    return (body && body.getAttribute("data-text-" + name)) || "";
  }

  function say(message) {
    var region = doc.getElementById("messages");
    if (!region || !message) return;
    var p = doc.createElement("p");
    p.className = "message message-info";
    p.textContent = message;
    region.appendChild(p);
  }

  /* 1. One submit per form ------------------------------------------------------------------ */

  function submitButtons(form) {
    return form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]");
  }

  function unlock(form) {
    if (!form || !form.hasAttribute("data-submitting")) return;
    form.removeAttribute("data-submitting");
    form.removeAttribute("aria-busy");
    submitButtons(form).forEach(function (button) {
      button.removeAttribute("aria-disabled");
    });
  }

  function lock(form) {
    form.setAttribute("data-submitting", "1");
    form.setAttribute("aria-busy", "true");
    // aria-disabled, not disabled: a disabled button would drop its own name and value.
    submitButtons(form).forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    // If nothing comes back (a lost connection), the form can be sent again.
    window.setTimeout(function () {
      unlock(form);
    }, 15000);
  }

  // Capture phase: runs before htmx's own listener on the form, so a second press stops here.
  doc.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      lock(form);
      if (form.hasAttribute("data-keep")) {
        try {
          sessionStorage.setItem("samplan-submitted", keepKey(form));
        } catch (e) {
          /* storage full or blocked: nothing to keep */
        }
      }
      if (form.hasAttribute("data-logout")) clearKept();
    },
    true
  );

  // A page shown again from the back/forward cache can be sent again.
  window.addEventListener("pageshow", function () {
    doc.querySelectorAll("form[data-submitting]").forEach(unlock);
  });

  doc.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt instanceof HTMLFormElement) unlock(elt);
  });

  /* 4. Focus after htmx swaps a form ------------------------------------------------------- */

  var swappedFormId = "";
  doc.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    swappedFormId = elt instanceof HTMLFormElement ? elt.id : "";
  });
  doc.addEventListener("htmx:afterSettle", function () {
    if (!swappedFormId) return;
    var form = doc.getElementById(swappedFormId);
    swappedFormId = "";
    if (!form) return;
    var summary = form.querySelector(".error-summary");
    var target =
      summary ||
      form.querySelector("input:not([type=hidden]), select, textarea");
    if (target) target.focus();
  });

  /* 3. Keep what was typed ------------------------------------------------------------------- */

  var KEEP = "samplan-keep:";

  function keepKey(form) {
    var forms = Array.prototype.slice.call(doc.querySelectorAll("form[data-keep]"));
    return KEEP + location.pathname + "|" + (form.id || String(forms.indexOf(form)));
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.name === "revision") return false;
      var type = (el.type || "").toLowerCase();
      return ["hidden", "password", "submit", "button", "file", "reset"].indexOf(type) < 0;
    });
  }

  function saveForm(form) {
    var data = {};
    keptFields(form).forEach(function (el) {
      var type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        if (!data[el.name]) data[el.name] = [];
        if (el.checked) data[el.name].push(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        data[el.name] = Array.prototype.filter
          .call(el.options, function (o) {
            return o.selected;
          })
          .map(function (o) {
            return o.value;
          });
      } else {
        data[el.name] = el.value;
      }
    });
    try {
      sessionStorage.setItem(keepKey(form), JSON.stringify(data));
    } catch (e) {
      /* storage full or blocked */
    }
  }

  function restoreForm(form) {
    var raw = null;
    try {
      raw = sessionStorage.getItem(keepKey(form));
    } catch (e) {
      return false;
    }
    if (!raw) return false;
    var data;
    try {
      data = JSON.parse(raw);
    } catch (e) {
      return false;
    }
    var restored = false;
    keptFields(form).forEach(function (el) {
      if (!(el.name in data)) return;
      var value = data[el.name];
      var type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        el.checked = value.indexOf(el.value) >= 0;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = value.indexOf(o.value) >= 0;
        });
      } else if (typeof value === "string") {
        if (value && el.value !== value) restored = true;
        el.value = value;
      }
    });
    return restored;
  }

  function clearKept(prefix) {
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(prefix || KEEP) === 0) sessionStorage.removeItem(key);
      }
      if (!prefix) sessionStorage.removeItem("samplan-restore");
    } catch (e) {
      /* storage blocked */
    }
  }

  function setUpKeep() {
    var loginForm = doc.querySelector("form[data-login]");
    var submitted = null;
    var restoreFor = null;
    try {
      submitted = sessionStorage.getItem("samplan-submitted");
      restoreFor = sessionStorage.getItem("samplan-restore");
    } catch (e) {
      return;
    }
    if (loginForm) {
      // Logging in again: the page we come back to may restore what was typed there.
      var next = new URLSearchParams(location.search).get("next") || "";
      if (next.charAt(0) === "/") {
        try {
          sessionStorage.setItem("samplan-restore", next.split("?")[0].split("#")[0]);
        } catch (e) {
          /* storage blocked */
        }
      }
      return;
    }
    if (submitted) {
      var submittedPath = submitted.slice(KEEP.length).split("|")[0];
      if (submittedPath !== location.pathname) {
        // Sent, and the server moved on to another page: the step is done.
        try {
          sessionStorage.removeItem(submitted);
        } catch (e) {
          /* storage blocked */
        }
      }
      try {
        sessionStorage.removeItem("samplan-submitted");
      } catch (e) {
        /* storage blocked */
      }
    }
    var forms = doc.querySelectorAll("form[data-keep]");
    if (!forms.length) return;
    var restoring = restoreFor === location.pathname;
    try {
      sessionStorage.removeItem("samplan-restore");
    } catch (e) {
      /* storage blocked */
    }
    var any = false;
    forms.forEach(function (form) {
      if (restoring) {
        any = restoreForm(form) || any;
      }
      form.addEventListener("input", function () {
        saveForm(form);
      });
      form.addEventListener("change", function () {
        saveForm(form);
      });
    });
    if (any) say(text("restored"));
  }

  /* 2. Warn before the idle session ends ------------------------------------------------------ */

  function setUpSessionWarning() {
    var idle = parseInt((body && body.getAttribute("data-session-idle")) || "0", 10);
    var dialog = doc.getElementById("session-warning");
    if (!(idle > 0) || !dialog || typeof dialog.showModal !== "function") return;
    var form = dialog.querySelector("form");
    var message = doc.getElementById("session-warning-text");
    var extendButton = doc.getElementById("session-extend");
    var loginLink = doc.getElementById("session-login");
    // Warn two minutes before the end, or after two thirds of a short timeout.
    var lead = Math.min(120, Math.floor(idle / 3));
    var warnTimer = 0;
    var endTimer = 0;

    function schedule() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(warn, (idle - lead) * 1000);
      endTimer = window.setTimeout(expired, idle * 1000);
    }

    function warn() {
      message.textContent = text("warning");
      extendButton.hidden = false;
      loginLink.hidden = true;
      if (!dialog.open) dialog.showModal();
      extendButton.focus();
    }

    function expired() {
      message.textContent = text("expired");
      extendButton.hidden = true;
      loginLink.hidden = false;
      loginLink.setAttribute("href", "/login/?next=" + encodeURIComponent(location.pathname));
      if (!dialog.open) dialog.showModal();
      loginLink.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        redirect: "manual",
      })
        .then(function (response) {
          unlock(form);
          if (response.status !== 200) {
            expired();
            return;
          }
          dialog.close();
          schedule();
          say(text("extended"));
        })
        .catch(function () {
          unlock(form);
        });
    });

    // Any request to the server moves the end forward: so does an htmx request.
    doc.addEventListener("htmx:afterRequest", schedule);
    schedule();
  }

  // A page that comes back with errors: the summary (role=alert) takes the focus, so that
  // keyboard and screen reader users start from the list of what to correct.
  var summary = doc.querySelector("main .error-summary[tabindex]");
  if (summary) summary.focus();

  setUpKeep();
  setUpSessionWarning();
})();
