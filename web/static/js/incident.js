// Incident page: the incident's curve from the JSON embedded in the page (it does not change).
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("chart-data").textContent);
  var strings = JSON.parse(document.getElementById("js-strings").textContent);
  window.spikeChart = new window.SpikeChart(
    document.getElementById("spike-chart"), payload.points, payload.incidents, strings,
    document.querySelector('[data-field="series-rows"]'), { now: payload.now });
})();
