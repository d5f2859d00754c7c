// Boucle's portal: what helps while typing. Every page works without it (the server checks everything).
//  - suggestions for communes, intercommunalités and resources in a <datalist>, from /api/v1/communes,
//    /api/v1/epci and /api/v1/resources;
//  - the resource's usual radius shown next to the radius field;
//  - the SIRET's Luhn key checked as soon as the field is left;
//  - after a form came back with errors, the focus on their summary, whose links lead to the fields;
//  - after signing in, the card an email's link pointed at (its #fragment kept through the login form).
"use strict";

(function () {
  var SOURCES = {
    communes: {
      url: "/api/v1/communes",
      option: function (c) { return { value: c.value, label: c.name + " — " + c.departement }; }
    },
    epci: {
      url: "/api/v1/epci",
      option: function (e) { return { value: e.value, label: e.kind_label + ", " + e.communes + " communes" }; }
    },
    resources: {
      url: "/api/v1/resources",
      option: function (r) {
        var family = r.family_label ? r.family_label : "usage";
        return { value: r.label, label: r.matched ? family + " (« " + r.matched + " »)" : family };
      }
    }
  };

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setupSuggestions(input) {
    var source = SOURCES[input.dataset.suggest];
    var list = document.getElementById(input.getAttribute("list"));
    if (!source || !list) { return; }
    var known = {};
    var asked = "";
    var refresh = debounce(function () {
      var typed = input.value.trim();
      if (typed.length < 2 || typed === asked) { return; }
      asked = typed;
      fetch(source.url + "?q=" + encodeURIComponent(typed), { headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : []; })
        .catch(function () { return []; })
        .then(function (items) {
          if (typed !== input.value.trim()) { return; }
          list.replaceChildren();
          items.forEach(function (item) {
            var shown = source.option(item);
            var option = document.createElement("option");
            option.value = shown.value;
            option.label = shown.label;
            list.appendChild(option);
            known[shown.value] = item;
          });
          describe();
        });
    }, 150);

    // the resource's family gives the radius a listing searches when none is given
    var radiusHint = input.dataset.radiusHint ? document.getElementById(input.dataset.radiusHint) : null;
    var defaultText = radiusHint ? radiusHint.textContent : "";
    function describe() {
      if (!radiusHint) { return; }
      var picked = known[input.value.trim()];
      radiusHint.textContent = picked
        ? "Par défaut : " + String(picked.default_radius_km).replace(".", ",") + " km, le rayon habituel pour « "
          + (picked.family_label || picked.label) + " »."
        : defaultText;
    }
    input.addEventListener("input", function () { refresh(); describe(); });
    input.addEventListener("change", describe);
  }

  function luhnOk(raw) {
    var digits = raw.replace(/\s/g, "");
    if (!/^\d{14}$/.test(digits)) { return false; }
    var sum = 0;
    for (var i = 0; i < 14; i++) {
      var d = Number(digits[13 - i]);
      if (i % 2) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    if (sum % 10 === 0) { return true; }
    // La Poste's establishments: the digits add up to a multiple of 5
    var plain = 0;
    for (var j = 0; j < 14; j++) { plain += Number(digits[j]); }
    return digits.indexOf("356000000") === 0 && plain % 5 === 0;
  }

  function setupLuhn(input) {
    var message = document.getElementById(input.id + "-error");
    if (!message) { return; }
    function check() {
      var value = input.value.trim();
      var wrong = value !== "" && !luhnOk(value);
      message.hidden = !wrong && !input.dataset.serverError;
      if (wrong) {
        message.textContent = input.dataset.luhnMessage;
        input.setAttribute("aria-invalid", "true");
      } else if (!input.dataset.serverError) {
        input.removeAttribute("aria-invalid");
      }
    }
    input.addEventListener("blur", check);
    input.addEventListener("input", function () {
      delete input.dataset.serverError;  // a new value: the server's verdict was about the old one
      if (input.getAttribute("aria-invalid") === "true") { check(); }
    });
  }

  // A form sent back with errors: the summary is read first, and its links put the cursor in the field.
  function setupErrorSummary(summary) {
    summary.focus();
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) { return; }
        event.preventDefault();
        field.scrollIntoView({ block: "center" });
        field.focus();
      });
    });
  }

  // An email's link points at a card (/synergies#s-…); signed out, the visitor lands on the login page with that
  // fragment, which never reaches the server: the login form carries it on to the page asked for.
  function keepFragment(input) {
    if (location.hash && input.value.indexOf("#") < 0) { input.value += location.hash; }
  }

  document.querySelectorAll(".error-summary[tabindex]").forEach(setupErrorSummary);
  document.querySelectorAll("form input[name=suite]").forEach(keepFragment);
  document.querySelectorAll("input[data-suggest]").forEach(setupSuggestions);
  document.querySelectorAll("input[data-luhn]").forEach(setupLuhn);
})();
