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
    var url = el.dataset.api + "?hours=" + range.hours + "&bucket=" + range.bucket +
      (payload.country ? "&country=" + encodeURIComponent(payload.country) : "");
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

  // "N min ago" in the words the server writes (outages_tags.since), from the server's clock.
  function ago(seconds) {
    var minutes = Math.floor(seconds / 60), n = window.opendown.number;
    if (minutes < 1) return strings.under_1_min;
    if (minutes < 60) return format(strings.min, { m: n(minutes) });
    if (minutes < 48 * 60) {
      return format(strings.h_min, { h: n(Math.floor(minutes / 60)), m: String(minutes % 60).padStart(2, "0") });
    }
    return format(strings.days_h, { d: n(Math.floor(minutes / 1440)), h: n(Math.floor(minutes % 1440 / 60)) });
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)\d*\w/g, function (_, key) { return values[key]; });
  }

  // The status's age, kept current between refreshes; past DETECTION_LATE the warning shows
  // even if the server could not be asked (the detector and the web may fail together).
  var DETECTION_LATE_S = 180;
  function tickFreshness() {
    var box = document.querySelector('[data-field="freshness"]');
    if (!box || !box.dataset.detectedAt) return;
    var age = chart.now() - Date.parse(box.dataset.detectedAt) / 1000;
    var behind = age > DETECTION_LATE_S;
    var updated = box.querySelector('[data-testid="status-updated"]');
    var late = box.querySelector('[data-testid="detection-behind"]');
    if (updated) {
      updated.hidden = behind;
      updated.querySelector('[data-field="updated-text"]').textContent = format(strings.updated, { ago: ago(age) });
    }
    late.hidden = !behind;
    if (behind) late.querySelector('[data-field="behind-text"]').textContent = format(strings.behind, { ago: ago(age) });
  }

  // Everything the server renders that changes with the reports (headline, "since", the
  // status's age, the summary line, problems, countries, official status, incidents, the
  // calendar) comes back as the page itself renders it: the same words in the same language,
  // from the same cached rendering every reader shares (web.page_cache), without JavaScript
  // copies of the templates.
  function refresh() {
    return fetch(location.pathname + location.search, { cache: "no-cache", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var now = fresh.querySelector('[data-live="' + old.dataset.live + '"]');
          if (!now || now.innerHTML === old.innerHTML) return;
          var copy = document.importNode(now, true);
          old.replaceWith(copy);
          window.opendown.localise(copy);
          window.opendown.jsTexts(copy);
        });
        // A newly opened incident is shaded at the next redraw, without a reload.
        var since = document.querySelector('[data-testid="headline"]').dataset.incidentStarted;
        if (since && !chart.incidents.some(function (p) { return p[1] === null; })) {
          chart.incidents.push([Date.parse(since) / 1000, null]);
        }
        var data = fresh.getElementById("chart-data");
        if (data) chart.skew = JSON.parse(data.textContent).now - Date.now() / 1000;
        tickFreshness();
      })
      .catch(function () { tickFreshness(); })
      .then(liveNumbers)
      .then(loadSeries);
  }

  // The counts and the level from the status API, whose answer is seconds old where the
  // page's shared rendering may be up to STATUS_CACHE_SECONDS old. Worldwide only: a country
  // view's numbers are that country's, which the page gives.
  function liveNumbers() {
    if (payload.country) return null;
    return fetch("/api/v1/services/" + payload.slug + "/", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (service) {
        if (!service) return;
        var number = window.opendown.number;
        document.querySelector('[data-testid="reports-15m"]').textContent = number(service.reports_last_15m);
        document.querySelector('[data-testid="reports-1h"]').textContent = number(service.reports_last_hour);
        var headline = document.querySelector('[data-testid="headline"]');
        headline.className = "headline level-" + service.status;
        headline.querySelector('[data-field="headline"]').textContent = strings[service.status];
      })
      .catch(function () { /* the page's own numbers stay */ });
  }
  tickFreshness();
  window.opendown.refreshService = refresh;

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
