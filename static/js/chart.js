// The spike graph (service and incident pages), drawn with the vendored uPlot.
// Reports as a line, the baseline band (typical volume up to the alert threshold) shaded,
// incident periods tinted; hover or arrow keys show a tooltip; times in the visitor's zone.
(function () {
  "use strict";
  var COLOURS = { count: "#0b4f8a", base: "#57606a", band: "rgba(26,127,55,0.16)", threshold: "#1a7f37", incident: "rgba(198,40,40,0.13)" };

  function fmtTime(seconds, withDate) {
    var opts = withDate
      ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
      : { hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    return new Intl.DateTimeFormat(window.opendown.lang, opts).format(new Date(seconds * 1000));
  }

  function fmtNumber(value, digits) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(window.opendown.lang, { maximumFractionDigits: digits || 0 }).format(value);
  }

  // Wide enough for the longest tick label ("100,000" during a big outage), never clipped.
  function axisWidth(u, values) {
    var longest = (values || []).reduce(function (m, v) { return Math.max(m, String(v).length); }, 0);
    return Math.max(36, longest * 8 + 16);
  }

  // points: [[epoch seconds, count, baseline|null, threshold|null], ...]
  function columns(points) {
    var cols = [[], [], [], []];
    points.forEach(function (p) { for (var i = 0; i < 4; i++) cols[i].push(p[i]); });
    return cols;
  }

  function SpikeChart(el, points, incidents, strings, table) {
    this.el = el;
    this.strings = strings;
    this.table = table;
    this.incidents = incidents || [];
    this.tooltip = document.createElement("div");
    this.tooltip.className = "chart-tip";
    this.tooltip.setAttribute("role", "status");
    this.tooltip.hidden = true;
    el.appendChild(this.tooltip);
    el.tabIndex = 0;
    el.setAttribute("aria-label", strings.reports);
    this.setData(points, incidents);
    var self = this;
    new ResizeObserver(function () { if (self.plot) self.plot.setSize(self.size()); }).observe(el);
    el.addEventListener("keydown", function (event) { self.onKey(event); });
  }

  SpikeChart.prototype.size = function () {
    var width = Math.max(this.el.clientWidth, 280);
    return { width: width, height: width < 500 ? 220 : 280 };
  };

  SpikeChart.prototype.setData = function (points, incidents) {
    if (incidents) this.incidents = incidents;
    var data = columns(points);
    var hasBand = data[2].some(function (v) { return v !== null; });
    var self = this;
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    var series = [{}, {
      label: this.strings.reports, stroke: COLOURS.count, width: 2, fill: "rgba(11,79,138,0.07)",
      points: { show: points.length <= 150, size: 4, fill: COLOURS.count },
    }];
    var bands = [];
    if (hasBand) {
      series.push({ label: this.strings.typical, stroke: COLOURS.base, width: 1.5, dash: [6, 4], points: { show: false } });
      series.push({ label: this.strings.threshold, stroke: COLOURS.threshold, width: 1, dash: [2, 3], points: { show: false } });
      bands.push({ series: [3, 2], fill: COLOURS.band });
    } else {
      data = data.slice(0, 2);
    }
    var opts = Object.assign(this.size(), {
      series: series,
      bands: bands,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 9 } },
      scales: { y: { range: function (u, min, max) { return [0, Math.max(max * 1.1, 5)]; } } },
      axes: [{ stroke: "#3d4450", grid: { stroke: "#eaeef2" } }, { stroke: "#3d4450", grid: { stroke: "#eaeef2" }, size: axisWidth }],
      hooks: {
        drawClear: [function (u) { self.drawIncidents(u); }],
        setCursor: [function (u) { self.showTip(u, u.cursor.idx); }],
      },
    });
    this.data = data;
    this.plot = new uPlot(opts, data, this.el);
    this.el.appendChild(this.tooltip);
    this.el.dataset.points = String(points.length);
    this.el.dataset.band = hasBand ? "1" : "0";
    if (this.table) this.fillTable(points);
  };

  SpikeChart.prototype.drawIncidents = function (u) {
    var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
    var x0 = u.scales.x.min, x1 = u.scales.x.max;
    ctx.save();
    this.incidents.forEach(function (period) {
      var start = Math.max(period[0], x0), end = Math.min(period[1] || x1, x1);
      if (end <= start) return;
      var left = u.valToPos(start, "x", true), right = u.valToPos(end, "x", true);
      ctx.fillStyle = COLOURS.incident;
      ctx.fillRect(left, top, Math.max(right - left, 2), height);
      ctx.fillStyle = "#8c1d18";
      ctx.fillRect(left, top, Math.max(right - left, 2), 3 * devicePixelRatio);
    });
    ctx.restore();
  };

  SpikeChart.prototype.showTip = function (u, idx) {
    if (idx === null || idx === undefined) { this.tooltip.hidden = true; return; }
    var d = this.data, at = d[0][idx];
    var inIncident = this.incidents.some(function (p) { return at >= p[0] && at < (p[1] || Infinity); });
    var lines = [
      "<strong>" + fmtTime(at, true) + "</strong>",
      this.strings.reports + ": <strong>" + fmtNumber(d[1][idx]) + "</strong>",
    ];
    if (d.length > 2) {
      lines.push(this.strings.typical + ": " + fmtNumber(d[2][idx], 1));
      lines.push(this.strings.threshold + ": " + fmtNumber(d[3][idx], 1));
    }
    if (inIncident) lines.push('<span class="tip-incident">' + this.strings.incident + "</span>");
    this.tooltip.innerHTML = lines.join("<br>");
    this.tooltip.hidden = false;
    var left = u.valToPos(at, "x") + u.over.offsetLeft;
    var width = this.tooltip.offsetWidth;
    this.tooltip.style.left = Math.min(Math.max(left - width / 2, 0), this.el.clientWidth - width) + "px";
  };

  SpikeChart.prototype.onKey = function (event) {
    var n = this.data[0].length, idx = this.plot.cursor.idx;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    idx = idx === null || idx === undefined ? n - 1 : idx + (event.key === "ArrowLeft" ? -1 : 1);
    idx = Math.max(0, Math.min(n - 1, idx));
    var left = this.plot.valToPos(this.data[0][idx], "x");
    var top = this.plot.valToPos(this.data[1][idx], "y");
    this.plot.setCursor({ left: left, top: top });
  };

  SpikeChart.prototype.fillTable = function (points) {
    var rows = points.slice().reverse().map(function (p) {
      return "<tr><td>" + fmtTime(p[0], true) + '</td><td class="num">' + fmtNumber(p[1]) +
        '</td><td class="num">' + fmtNumber(p[2], 1) + '</td><td class="num">' + fmtNumber(p[3], 1) + "</td></tr>";
    });
    this.table.innerHTML = rows.join("");
  };

  window.SpikeChart = SpikeChart;
})();
