// The spike graph (service and incident pages), drawn with the vendored uPlot.
// Reports as a line, the baseline band (typical volume up to the alert threshold) shaded,
// incident periods tinted; hover or arrow keys show a tooltip; times in the visitor's zone.
// Two things keep it honest during an outage:
// - the current bucket is still filling: it is left out of the line and drawn dashed, scaled
//   to a full bucket at its pace so far ("so far" in the tooltip and the table);
// - when the reports dwarf the band, the y axis turns logarithmic (asinh, so 0 stays 0) and
//   says so, so the normal range stays readable; a button switches it either way.
(function () {
  "use strict";
  var COLOURS = { count: "#0b4f8a", base: "#57606a", band: "rgba(26,127,55,0.16)", threshold: "#1a7f37", incident: "rgba(198,40,40,0.13)" };
  // Above this ratio of the highest count to the highest alert threshold, the band would fill
  // less than a tenth of a linear axis (22 px of a 220 px phone chart, the typical line less):
  // too thin to read, so the axis turns logarithmic.
  var LOG_RATIO = 10;
  // A filling bucket is projected to a whole one only once a fifth of it has passed (3 min of
  // 15, 12 s of a minute): before that the count so far is too few seconds of reports to scale
  // (342 in 1 min of 15 would read as 5,130) and is drawn as it is, marked "so far".
  var MIN_ELAPSED_FRACTION = 1 / 5;

  function lang() { return window.opendown.lang; }

  function fmtTime(seconds, withDate) {
    var opts = withDate
      ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
      : { hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    return new Intl.DateTimeFormat(lang(), opts).format(new Date(seconds * 1000));
  }

  function fmtNumber(value, digits) { return window.opendown.number(value, digits); }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // Axis labels in the page's language: times within two days, dates beyond.
  function timeTicks(u, splits) {
    var span = u.scales.x.max - u.scales.x.min;
    var opts = span <= 2 * 86400 ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric" };
    var f = new Intl.DateTimeFormat(lang(), opts);
    return splits.map(function (s) { return f.format(new Date(s * 1000)); });
  }

  // On the logarithmic axis: 0 and the powers of ten (with 2× and 5× when fewer than three
  // decades show), instead of uPlot's nine lines a decade, too dense to read on a phone.
  function logSplits(u) {
    var max = u.scales.y.max, splits = [0], decade = 1, steps = max < 1000 ? [1, 2, 5] : [1];
    for (; decade <= max; decade *= 10) {
      steps.forEach(function (k) { if (k * decade <= max) splits.push(k * decade); });
    }
    return splits;
  }

  function countTicks(u, splits) {
    return splits.map(function (v) { return v === null ? "" : fmtNumber(v); });
  }

  // Wide enough for the longest tick label ("1,00,000" during a big outage), never clipped.
  function axisWidth(u, values) {
    var longest = (values || []).reduce(function (m, v) { return Math.max(m, String(v).length); }, 0);
    return Math.max(36, longest * 8 + 16);
  }

  function SpikeChart(el, points, incidents, strings, table, meta) {
    this.el = el;
    this.strings = strings;
    this.table = table;
    this.incidents = incidents || [];
    // The server's clock minus ours: "now" for the filling bucket is the server's.
    this.skew = meta && meta.now ? meta.now - Date.now() / 1000 : 0;
    this.scaleChoice = "auto";
    this.tooltip = document.createElement("div");
    this.tooltip.className = "chart-tip";
    this.tooltip.setAttribute("role", "status");
    this.tooltip.hidden = true;
    el.tabIndex = 0;
    // A chart one explores with the keys: an application (keys reach it), named and described.
    el.setAttribute("role", "application");
    el.setAttribute("aria-roledescription", strings.chart);
    el.setAttribute("aria-label", strings.chart_name);
    if (document.getElementById("chart-help")) {
      document.getElementById("chart-help").hidden = false;
      el.setAttribute("aria-describedby", "chart-help");
    }
    this.scaleButton = document.querySelector('[data-field="scale-switch"]');
    this.scaleNote = document.querySelector('[data-field="scale-note"]');
    var self = this;
    if (this.scaleButton) {
      this.scaleButton.hidden = false;
      this.scaleButton.addEventListener("click", function () {
        self.scaleChoice = self.log ? "linear" : "log";
        self.setData(self.points);
      });
    }
    this.setData(points, incidents);
    new ResizeObserver(function () { if (self.plot) self.plot.setSize(self.size()); }).observe(el);
    el.addEventListener("keydown", function (event) { self.onKey(event); });
    el.addEventListener("blur", function () { self.hideTip(); });
    el.addEventListener("mouseleave", function () { if (document.activeElement !== el) self.hideTip(); });
  }

  SpikeChart.prototype.now = function () { return Date.now() / 1000 + this.skew; };

  SpikeChart.prototype.size = function () {
    var width = Math.max(this.el.clientWidth, 280);
    return { width: width, height: width < 500 ? 220 : 280 };
  };

  // points: [[epoch seconds, count, baseline|null, threshold|null], ...], oldest first.
  // Columns: 0 time, 1 finished counts, 2 the filling bucket's pace, 3 typical, 4 threshold.
  SpikeChart.prototype.columns = function (points) {
    var cols = [[], [], [], [], []];
    points.forEach(function (p) {
      cols[0].push(p[0]); cols[1].push(p[1]); cols[2].push(null); cols[3].push(p[2]); cols[4].push(p[3]);
    });
    var n = points.length, size = n > 1 ? points[1][0] - points[0][0] : 0;
    this.partial = null;
    if (size && points[n - 1][0] + size > this.now()) {
      var last = points[n - 1], elapsed = Math.min(size, Math.max(0, this.now() - last[0]));
      // The pace is stated as computed: minutes to one decimal, and the projection is exactly
      // count x bucket / those minutes.
      var minutes = Math.max(0.1, Math.round(elapsed / 6) / 10), of = size / 60;
      var projected = elapsed >= size * MIN_ELAPSED_FRACTION;
      this.partial = { idx: n - 1, count: last[1], minutes: minutes, of: of,
        pace: projected ? last[1] * of / minutes : null };
      cols[1][n - 1] = null;
      cols[2][n - 1] = projected ? this.partial.pace : last[1];
      if (n > 1) cols[2][n - 2] = points[n - 2][1];
    }
    return cols;
  };

  SpikeChart.prototype.setData = function (points, incidents) {
    if (incidents) this.incidents = incidents;
    this.points = points;
    var data = this.columns(points);
    var hasBand = data[3].some(function (v) { return v !== null; });
    var self = this;
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    var top = Math.max.apply(null, data[1].concat(data[2]).map(function (v) { return v || 0; }));
    var bandTop = Math.max.apply(null, data[4].map(function (v) { return v || 0; }));
    this.ratio = hasBand && bandTop > 0 ? top / bandTop : 0;
    this.log = this.scaleChoice === "log" || (this.scaleChoice === "auto" && this.ratio > LOG_RATIO);
    var series = [{}, {
      label: this.strings.reports, stroke: COLOURS.count, width: 2, fill: "rgba(11,79,138,0.07)",
      points: { show: points.length <= 150, size: 4, fill: COLOURS.count },
    }, {
      label: this.strings.so_far, stroke: COLOURS.count, width: 2, dash: [4, 4],
      // One hollow marker, on the filling bucket; the dashed segment starts at the last
      // finished bucket, which keeps its own solid marker.
      points: { show: true, size: 8, width: 2, fill: "#fff",
        filter: function () { return self.partial ? [self.partial.idx] : []; } },
    }];
    var bands = [];
    if (hasBand) {
      series.push({ label: this.strings.typical, stroke: COLOURS.base, width: 1.5, dash: [6, 4], points: { show: false } });
      series.push({ label: this.strings.threshold, stroke: COLOURS.threshold, width: 1, dash: [2, 3], points: { show: false } });
      bands.push({ series: [4, 3], fill: COLOURS.band });
    } else {
      data = data.slice(0, 3);
    }
    var y = this.log
      ? { distr: 4, asinh: 1, range: function (u, min, max) { return [0, Math.max(max * 1.5, 5)]; } }
      : { range: function (u, min, max) { return [0, Math.max(max * 1.1, 5)]; } };
    var opts = Object.assign(this.size(), {
      series: series,
      bands: bands,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 9 } },
      scales: { y: y },
      axes: [
        { stroke: "#3d4450", grid: { stroke: "#eaeef2" }, values: timeTicks },
        Object.assign({ stroke: "#3d4450", grid: { stroke: "#eaeef2" }, size: axisWidth, values: countTicks },
          this.log ? { splits: logSplits } : {}),
      ],
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
    this.el.dataset.scale = this.log ? "log" : "linear";
    this.el.dataset.partial = this.partial ? "1" : "0";
    if (this.scaleButton) {
      this.scaleButton.setAttribute("aria-pressed", String(this.log));
      this.scaleButton.hidden = !hasBand && !this.log;
    }
    if (this.scaleNote) {
      this.scaleNote.hidden = !this.log;
      this.scaleNote.textContent = this.ratio > 1
        ? format(this.strings.log_note_ratio, { ratio: fmtNumber(this.ratio) }) : this.strings.log_note;
    }
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

  SpikeChart.prototype.partialText = function () {
    var p = this.partial, values = { count: fmtNumber(p.count), minutes: fmtNumber(p.minutes, 1), of: fmtNumber(p.of), pace: fmtNumber(p.pace) };
    return format(p.pace === null ? this.strings.so_far_early : this.strings.so_far_detail, values);
  };

  SpikeChart.prototype.showTip = function (u, idx) {
    if (idx === null || idx === undefined) { this.hideTip(); return; }
    var d = this.data, at = d[0][idx];
    var inIncident = this.incidents.some(function (p) { return at >= p[0] && at < (p[1] || Infinity); });
    var lines = ["<strong>" + fmtTime(at, true) + "</strong>"];
    if (this.partial && idx === this.partial.idx) {
      lines.push(this.strings.so_far + ": <strong>" + this.partialText() + "</strong>");
    } else {
      lines.push(this.strings.reports + ": <strong>" + fmtNumber(d[1][idx]) + "</strong>");
    }
    if (d.length > 3) {
      lines.push(this.strings.typical + ": " + fmtNumber(d[3][idx], 1));
      lines.push(this.strings.threshold + ": " + fmtNumber(d[4][idx], 1));
    }
    if (inIncident) lines.push('<span class="tip-incident">' + this.strings.incident + "</span>");
    this.tooltip.innerHTML = lines.join("<br>");
    this.tooltip.hidden = false;
    var left = u.valToPos(at, "x") + u.over.offsetLeft;
    var width = this.tooltip.offsetWidth;
    this.tooltip.style.left = Math.max(0, Math.min(left - width / 2, this.el.clientWidth - width)) + "px";
    // Above a point in the lower half, below one in the upper half: never over the spike.
    var value = d[1][idx] !== null ? d[1][idx] : d[2][idx];
    var y = u.valToPos(value || 0, "y"), plotHeight = u.over.clientHeight;
    this.tooltip.style.top = (y < plotHeight / 2
      ? u.over.offsetTop + plotHeight - this.tooltip.offsetHeight : 0) + "px";
  };

  SpikeChart.prototype.hideTip = function () {
    this.tooltip.hidden = true;
    if (this.plot && this.plot.cursor.idx !== null && this.plot.cursor.idx !== undefined) {
      this.plot.setCursor({ left: -10, top: -10 });
    }
  };

  // Left/Right step through the buckets, Home/End jump to the first/last, Escape closes.
  SpikeChart.prototype.onKey = function (event) {
    var n = this.data[0].length, idx = this.plot.cursor.idx;
    var has = idx !== null && idx !== undefined && idx >= 0;
    if (event.key === "Escape") { if (!this.tooltip.hidden) { event.preventDefault(); this.hideTip(); } return; }
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      idx = !has ? n - 1 : idx + (event.key === "ArrowLeft" ? -1 : 1);
    } else if (event.key === "Home") {
      idx = 0;
    } else if (event.key === "End") {
      idx = n - 1;
    } else {
      return;
    }
    event.preventDefault();
    idx = Math.max(0, Math.min(n - 1, idx));
    var value = this.data[1][idx] !== null ? this.data[1][idx] : this.data[2][idx];
    this.plot.setCursor({ left: this.plot.valToPos(this.data[0][idx], "x"), top: this.plot.valToPos(value || 0, "y") });
  };

  SpikeChart.prototype.fillTable = function (points) {
    var self = this, last = points.length - 1;
    var rows = points.map(function (p, i) {
      var count = self.partial && i === last
        ? fmtNumber(p[1]) + ' <span class="muted">(' + self.strings.so_far_short + ")</span>" : fmtNumber(p[1]);
      return "<tr><td>" + fmtTime(p[0], true) + '</td><td class="num">' + count +
        '</td><td class="num">' + fmtNumber(p[2], 1) + '</td><td class="num">' + fmtNumber(p[3], 1) + "</td></tr>";
    });
    this.table.innerHTML = rows.reverse().join("");
  };

  window.SpikeChart = SpikeChart;
})();
