// Service page: the spike graph, its range switch, and live numbers polled from the JSON API.
(function () {
  "use strict";
  var POLL_MS = 30000;
  var payload = JSON.parse(document.getElementById("chart-data").textContent);
  var strings = JSON.parse(document.getElementById("js-strings").textContent);
  var el = document.getElementById("spike-chart");
  var noBaseline = document.querySelector('[data-field="no-baseline"]');
  var note = document.querySelector('[data-field="bucket-note"]');
  var range = { hours: 24, bucket: "15m" };
  // First paint uses the 24 h series embedded in the page; other ranges come from the API.
  var chart = new window.SpikeChart(el, payload.points, payload.incidents, strings,
    document.querySelector('[data-field="series-rows"]'), { now: payload.now });
  window.spikeChart = chart;

  function toPoints(rows) {
    return rows.map(function (r) { return [Date.parse(r.start) / 1000, r.count, r.baseline, r.threshold]; });
  }

  function loadSeries() {
    var url = el.dataset.api + "?hours=" + range.hours + "&bucket=" + range.bucket;
    // no-cache: the series allows stale-while-revalidate, meant for shared caches, not here.
    return fetch(url, { cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (rows) {
        var points = toPoints(rows);
        chart.setData(points);
        noBaseline.hidden = points.some(function (p) { return p[2] !== null; });
        document.querySelector('[data-field="table-range"]').textContent = note.textContent;
      });
  }

  document.querySelectorAll(".ranges button[data-hours]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll(".ranges button[data-hours]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      range = { hours: Number(button.dataset.hours), bucket: button.dataset.bucket };
      note.textContent = strings[range.hours === 1 ? "1h" : range.hours + "h"] || "";
      loadSeries();
    });
  });

  function refresh() {
    fetch("/api/v1/services/" + payload.slug + "/", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (service) {
        if (!service) return;
        var number = window.opendown.number;
        document.querySelector('[data-testid="reports-15m"]').textContent = number(service.reports_last_15m);
        document.querySelector('[data-testid="reports-1h"]').textContent = number(service.reports_last_hour);
        var headline = document.querySelector('[data-testid="headline"]');
        headline.className = "headline level-" + service.status;
        headline.querySelector('[data-field="headline"]').textContent = strings[service.status];
        // A newly opened incident is shaded at the next redraw, without a reload.
        var active = service.active_incident;
        if (active && !chart.incidents.some(function (p) { return p[1] === null; })) {
          chart.incidents.push([Date.parse(active.started_at) / 1000, null]);
        }
      })
      .then(loadSeries);
  }

  window.opendown.poll(refresh, POLL_MS);

  // The report form's country: the visitor's earlier pick, kept in this browser's storage (a
  // cookie would make every page personal and defeat page caching). A form sent back with
  // errors keeps what was posted; the error summary gets the focus.
  var KEY = "opendown.country";
  var country = document.getElementById("id_country");
  var errors = document.getElementById("report-errors");
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  if (country) {
    var saved = stored();
    if (saved && !errors && country.querySelector('option[value="' + CSS.escape(saved) + '"]')) country.value = saved;
    country.addEventListener("change", function () {
      try { if (country.value) localStorage.setItem(KEY, country.value); } catch (e) { /* private mode */ }
    });
  }
  // The form posts to "#report-errors": the browser scrolls there and focuses the summary; this
  // makes sure of it where a browser only scrolls.
  if (errors) window.addEventListener("load", function () { if (document.activeElement !== errors) errors.focus(); });
})();
