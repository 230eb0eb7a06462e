// Home page: instant search, filters applied by their button, and live status from the JSON API.
(function () {
  "use strict";
  var POLL_MS = 30000;
  var search = document.getElementById("q");
  var live = document.getElementById("live");

  function applySearch() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    live.querySelectorAll(".service-row").forEach(function (row) {
      var match = !q || row.dataset.search.indexOf(q) !== -1;
      row.hidden = !match;
      if (match) shown++;
    });
    live.querySelectorAll("section.group").forEach(function (group) {
      group.hidden = !group.querySelector(".service-row:not([hidden])");
    });
    live.querySelector(".no-match").hidden = shown > 0;
  }

  // Typing filters the list in place; the category and country menus apply only when the
  // Filter button is pressed (an explicit action: arrowing through a menu must not reload).
  search.addEventListener("input", applySearch);

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  // What the page shows now: non-ok services with their level, and the open incidents.
  function shownSignature() {
    var services = [], incidents = [];
    live.querySelectorAll('.service-row:not([data-level="ok"])').forEach(function (row) { services.push(row.dataset.slug + ":" + row.dataset.level); });
    live.querySelectorAll("[data-incidents]").forEach(function (li) { incidents = incidents.concat(li.dataset.incidents.split(",")); });
    return services.sort().join(" ") + "|" + incidents.sort().join(" ");
  }

  function refresh() {
    var filters = new URLSearchParams();
    ["category", "country"].forEach(function (id) { var v = document.getElementById(id).value; if (v) filters.set(id, v); });
    var shownSlugs = {};
    live.querySelectorAll(".service-row").forEach(function (row) { shownSlugs[row.dataset.slug] = true; });
    Promise.all([
      getJSON("/api/v1/services/?status=outage&" + filters),
      getJSON("/api/v1/services/?status=possible&" + filters),
      getJSON("/api/v1/incidents/?active=true&scope=global"),
    ]).then(function (answers) {
      var services = answers[0].results.concat(answers[1].results).filter(function (s) { return shownSlugs[s.slug]; });
      var incidents = answers[2].results.filter(function (i) { return shownSlugs[i.service]; });
      var now = services.map(function (s) { return s.slug + ":" + s.status; }).sort().join(" ") + "|" +
        incidents.map(function (i) { return String(i.id); }).sort().join(" ");
      if (now !== shownSignature()) return redraw();
      services.forEach(function (s) {
        var cell = live.querySelector('.service-row[data-slug="' + s.slug + '"] [data-field="reports"]');
        if (cell) cell.textContent = window.opendown.number(s.reports_last_hour);
      });
    }).catch(function () { /* offline or throttled: try again at the next tick */ });
  }

  // A status changed: take the server-rendered groups (translated, sorted) rather than
  // re-implementing them here.
  function redraw() {
    // no-cache: the page allows shared caches to serve it stale while they refresh it
    // (stale-while-revalidate); a browser doing the same here would redraw the old groups.
    return fetch(location.href, { cache: "no-cache", headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh) return;
        live.innerHTML = fresh.innerHTML;
        window.opendown.localise(live);
        window.opendown.jsTexts(live);
        applySearch();
      });
  }

  applySearch();
  window.opendown.poll(refresh, POLL_MS);
})();
