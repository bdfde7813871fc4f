/**
 * The HTML report's own script (runs in the browser after uPlot): reads the
 * view model from `<script type="application/json" id="tickscope-data">` and
 * draws the RTT heatmap, the session timeline, the stacked bandwidth chart and
 * the anticheat evidence timelines. Every text from the capture goes through
 * `textContent` (never `innerHTML`). It records its render time in
 * `document.documentElement.dataset.renderMs` and exposes the uPlot instances
 * as `window.tickscopeCharts` for the browser tests.
 */
export const HTML_CLIENT_SCRIPT = String.raw`(function () {
"use strict";
var started = performance.now();
var model = JSON.parse(document.getElementById("tickscope-data").textContent);
var origin = model.originUs;
var SEVERITY_COLORS = { critical: "#7f1d1d", high: "#dc2626", medium: "#ea580c", low: "#ca8a04", info: "#64748b" };
var SERIES_COLORS = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#be123c", "#4d7c0f", "#a16207", "#64748b"];
var charts = [];

function element(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}
function seconds(us) { return (us - origin) / 1e6; }
function formatValue(value) {
  if (value === null || value === undefined || !isFinite(value)) return "–";
  var magnitude = Math.abs(value);
  if (magnitude >= 10000) return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (magnitude >= 100) return String(Math.round(value * 10) / 10);
  return String(Number(value.toPrecision(3)));
}
function clock(offsetSeconds) {
  var ms = Math.round(origin / 1000 + offsetSeconds * 1000);
  return new Date(ms).toISOString().slice(11, 23);
}
function timeText(offsetSeconds) {
  if (offsetSeconds === null || offsetSeconds === undefined || !isFinite(offsetSeconds)) return "–";
  return "t+" + offsetSeconds.toFixed(3) + " s (" + clock(offsetSeconds) + " UTC)";
}
function chartWidth(container) {
  return Math.max(260, Math.floor(container.getBoundingClientRect().width));
}
var measureContext = document.createElement("canvas").getContext("2d");
// Axis width from its widest tick label (uPlot draws them on the canvas): label, ticks and gap included.
function axisSize(withLabel) {
  return function (u, values) {
    if (!values || values.length === 0) return withLabel ? 56 : 40;
    measureContext.font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    var widest = 0;
    values.forEach(function (value) { if (value !== null) widest = Math.max(widest, measureContext.measureText(String(value)).width); });
    return Math.ceil(widest + 18 + (withLabel ? 22 : 0));
  };
}
function axisNumber(value, unit) {
  if (unit === "B/s" && Math.abs(value) >= 10000) return formatValue(value / 1000) + " kB/s";
  return formatValue(value) + (unit ? " " + unit : "");
}
function axisValues(unit) {
  return function (u, splits) { return splits.map(function (value) { return value === null ? null : axisNumber(value, unit); }); };
}
function timeAxis() {
  return {
    label: "time since capture start (s)", labelSize: 16, size: 36,
    grid: { stroke: "#e5e7eb", width: 1 }, ticks: { stroke: "#cbd5e1", width: 1 },
    values: function (u, splits) { return splits.map(function (value) { return formatValue(value); }); }
  };
}
function valueAxis(label, unit) {
  return { label: label, labelSize: 16, size: axisSize(true), grid: { stroke: "#e5e7eb", width: 1 }, ticks: { stroke: "#cbd5e1", width: 1 }, values: axisValues(unit) };
}
function keyItem(container, color, text, shape) {
  var item = element("span", "key-item");
  var swatch = element("span", "key-swatch " + (shape || "box"));
  swatch.style.background = color;
  item.appendChild(swatch);
  item.appendChild(element("span", "key-text", text));
  container.appendChild(item);
}

// Zoom and pan for timelines: drag selects a range (uPlot), double-click resets,
// Ctrl+wheel zooms at the cursor, Shift+wheel pans; buttons do the same.
function panZoomToolbar(chartOf, container, fullRange) {
  var bar = element("div", "chart-tools");
  function setRange(min, max) {
    var fullMin = fullRange()[0], fullMax = fullRange()[1];
    var span = Math.max(max - min, 1e-3);
    if (min < fullMin) { min = fullMin; max = min + span; }
    if (max > fullMax) { max = fullMax; min = Math.max(fullMin, max - span); }
    chartOf().setScale("x", { min: min, max: max });
  }
  function pan(fraction) { var s = chartOf().scales.x; setRange(s.min + (s.max - s.min) * fraction, s.max + (s.max - s.min) * fraction); }
  function zoom(factor, center) {
    var s = chartOf().scales.x;
    var middle = center === undefined ? (s.min + s.max) / 2 : center;
    setRange(middle - (middle - s.min) * factor, middle + (s.max - middle) * factor);
  }
  [["◀ pan", function () { pan(-0.25); }], ["pan ▶", function () { pan(0.25); }], ["zoom in", function () { zoom(0.5); }], ["zoom out", function () { zoom(2); }], ["reset", function () { setRange(fullRange()[0], fullRange()[1]); }]].forEach(function (entry) {
    var button = element("button", "tool", entry[0]);
    button.type = "button";
    button.addEventListener("click", entry[1]);
    bar.appendChild(button);
  });
  bar.appendChild(element("span", "tool-hint", "drag to zoom · double-click resets · Ctrl+wheel zooms · Shift+wheel pans"));
  container.insertBefore(bar, container.firstChild);
  // Returns the wheel binding, for a chart that is rebuilt (log axis) to attach again.
  function attachWheel(u) {
    u.over.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.shiftKey) return;
      event.preventDefault();
      if (event.shiftKey) pan((event.deltaY || event.deltaX) > 0 ? 0.1 : -0.1);
      else zoom(event.deltaY > 0 ? 1.25 : 0.8, u.posToVal(event.offsetX, "x"));
    }, { passive: false });
  }
  attachWheel(chartOf());
  return attachWheel;
}

function shade(u, startSeconds, endSeconds, color) {
  var left = u.valToPos(startSeconds, "x", true);
  var right = u.valToPos(endSeconds, "x", true);
  var top = u.bbox.top;
  var height = u.bbox.height;
  var x0 = Math.max(u.bbox.left, Math.min(left, right));
  var x1 = Math.min(u.bbox.left + u.bbox.width, Math.max(left, right));
  if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) return;
  u.ctx.save();
  u.ctx.fillStyle = color;
  u.ctx.fillRect(x0, top, Math.max(2 * devicePixelRatio, x1 - x0), height);
  u.ctx.restore();
}

// ---------------------------------------------------------------- heatmap
function heatColor(value, low, high) {
  var fraction = (Math.log(value) - Math.log(low)) / (Math.log(high) - Math.log(low));
  fraction = Math.max(0, Math.min(1, fraction));
  // Light yellow → orange → dark red: a spike reads as a dark cell.
  var stops = [[255, 247, 188], [254, 196, 79], [236, 112, 20], [204, 76, 2], [140, 20, 20]];
  var position = fraction * (stops.length - 1);
  var index = Math.min(stops.length - 2, Math.floor(position));
  var within = position - index;
  var a = stops[index], b = stops[index + 1];
  return "rgb(" + Math.round(a[0] + (b[0] - a[0]) * within) + "," + Math.round(a[1] + (b[1] - a[1]) * within) + "," + Math.round(a[2] + (b[2] - a[2]) * within) + ")";
}
function heatRange() {
  var values = [];
  model.heatmap.cells.forEach(function (row) { row.forEach(function (value) { if (value !== null && value > 0) values.push(value); }); });
  values.sort(function (a, b) { return a - b; });
  if (values.length === 0) return [1, 10];
  var low = Math.max(1, values[Math.floor(values.length * 0.05)]);
  var high = Math.max(low * 4, values[values.length - 1]);
  return [low, high];
}
function drawHeatmap() {
  var container = document.getElementById("heatmap-chart");
  if (!container || !model.heatmap) return;
  var heatmap = model.heatmap;
  var rows = heatmap.sessionIndices.length;
  var rowSession = function (row) { return model.sessions[heatmap.sessionIndices[row]]; };
  var bucketSeconds = heatmap.bucketMs / 1000;
  var xs = [];
  for (var column = 0; column <= heatmap.columns; column++) xs.push(seconds(heatmap.startUs) + column * bucketSeconds);
  var range = heatRange();
  var rowPixels = Math.max(5, Math.min(28, Math.floor(560 / Math.max(1, rows))));
  var status = element("p", "chart-status", "Hover a cell for its RTT; click a row for that session's timeline.");
  var legend = document.getElementById("heatmap-legend");
  if (legend) {
    var gradient = element("span", "heat-gradient");
    var stops = [];
    for (var step = 0; step <= 8; step++) stops.push(heatColor(range[0] * Math.pow(range[1] / range[0], step / 8), range[0], range[1]));
    gradient.style.background = "linear-gradient(to right," + stops.join(",") + ")";
    legend.appendChild(element("span", "key-text", "worst RTT per cell: " + formatValue(range[0]) + " ms"));
    legend.appendChild(gradient);
    legend.appendChild(element("span", "key-text", formatValue(range[1]) + " ms (log scale)"));
    keyItem(legend, "#f1f5f9", "no sample");
  }
  var options = {
    width: chartWidth(container), height: rows * rowPixels + 60,
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { show: false } },
    scales: { x: { time: false }, y: { range: [0, rows] } },
    axes: [timeAxis(), {
      size: axisSize(false), gap: 4, grid: { show: false }, ticks: { show: false },
      splits: function (u) {
        var available = u.bbox.height / devicePixelRatio;
        var every = Math.max(1, Math.ceil(rows / Math.max(1, Math.floor(available / 14))));
        var splits = [];
        for (var row = 0; row < rows; row += every) splits.push(rows - row - 0.5);
        return splits;
      },
      values: function (u, splits) {
        return splits.map(function (value) {
          var label = rowSession(Math.round(rows - value - 0.5)).label;
          return label.length > 22 ? label.slice(0, 21) + "…" : label;
        });
      }
    }],
    series: [{}, { label: "RTT", paths: function () { return null; }, points: { show: false } }],
    hooks: {
      draw: [function (u) {
        var context = u.ctx;
        context.save();
        context.beginPath();
        context.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
        context.clip();
        context.fillStyle = "#f1f5f9";
        context.fillRect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
        for (var row = 0; row < rows; row++) {
          var top = u.valToPos(rows - row, "y", true);
          var bottom = u.valToPos(rows - row - 1, "y", true);
          var cells = heatmap.cells[row];
          for (var column = 0; column < heatmap.columns; column++) {
            var value = cells[column];
            if (value === null) continue;
            var left = u.valToPos(xs[column], "x", true);
            var right = u.valToPos(xs[column + 1], "x", true);
            if (right < u.bbox.left || left > u.bbox.left + u.bbox.width) continue;
            context.fillStyle = heatColor(Math.max(value, 1e-3), range[0], range[1]);
            context.fillRect(left, top, Math.max(1, right - left + 0.5), Math.max(1, bottom - top - 0.5));
          }
        }
        context.restore();
      }],
      setCursor: [function (u) {
        if (u.cursor.left === undefined || u.cursor.left < 0) return;
        var row = Math.floor(rows - u.posToVal(u.cursor.top, "y"));
        var column = Math.floor((u.posToVal(u.cursor.left, "x") - xs[0]) / bucketSeconds);
        if (row < 0 || row >= rows || column < 0 || column >= heatmap.columns) return;
        var value = heatmap.cells[row][column];
        status.textContent = rowSession(row).label + " · " + timeText(xs[column]) + " · " + (value === null ? "no RTT sample" : "worst RTT " + formatValue(value) + " ms") + " — click for its timeline";
      }]
    }
  };
  var data = [xs, xs.map(function () { return null; })];
  var u = new uPlot(options, data, container);
  u.setScale("x", { min: xs[0], max: xs[xs.length - 1] });
  container.appendChild(status);
  var downX = 0, downY = 0;
  u.over.addEventListener("mousedown", function (event) { downX = event.clientX; downY = event.clientY; });
  u.over.addEventListener("click", function (event) {
    if (Math.abs(event.clientX - downX) > 3 || Math.abs(event.clientY - downY) > 3) return;
    var row = Math.floor(rows - u.posToVal(event.offsetY, "y"));
    if (row >= 0 && row < rows) showSession(heatmap.sessionIndices[row], true);
  });
  charts.push({ chart: u, container: container });
}

// ---------------------------------------------------------------- session timeline
var timeline = null;
function timelineData(session) {
  var xs = session.tUs.map(seconds);
  if (!timeline || !timeline.log) return [xs, session.maxMs, session.minMs];
  // A log axis has no 0: a bucket at 0 ms is left out.
  var positive = function (value) { return value !== null && value > 0 ? value : null; };
  return [xs, session.maxMs.map(positive), session.minMs.map(positive)];
}
function describeAt(session, offset) {
  var bucket = session.bucketMs / 1000;
  for (var index = 0; index < session.spikes.length; index++) {
    var spike = session.spikes[index];
    if (offset >= seconds(spike.startUs) - bucket / 2 && offset <= seconds(spike.endUs) + bucket / 2) {
      return "Spike " + timeText(seconds(spike.startUs)) + " for " + formatValue((spike.endUs - spike.startUs) / 1000) + " ms: " + formatValue(spike.baselineMs) + " → " + formatValue(spike.peakMs) + " ms; top cause " + spike.cause + " (score " + formatValue(spike.causeScore) + "); fix: " + spike.suggestedFix;
    }
  }
  for (var mark = 0; mark < session.lossMarks.length; mark++) {
    var loss = session.lossMarks[mark];
    if (Math.abs(seconds(loss.tUs) - offset) <= bucket / 2) return "Loss gap " + timeText(seconds(loss.tUs)) + ": " + loss.lost + " sequence number(s) skipped at this arrival, " + (loss.direction === "clientToServer" ? "client→server" : "server→client");
  }
  return "";
}
function showSession(index, scroll) {
  var select = document.getElementById("timeline-session");
  if (!select || !timeline) return;
  select.value = String(index);
  var session = model.sessions[index];
  timeline.session = session;
  var heading = document.getElementById("timeline-title");
  if (heading) heading.textContent = session.label + " — " + session.id;
  var summary = document.getElementById("timeline-summary");
  if (summary) {
    summary.textContent = session.timelineOmitted ? "This session's RTT timeline is left out of the page (it keeps the sessions with the most spikes, then the highest p95); report.json has it." :
      session.tUs.length === 0 ? "No RTT measured for this session." :
      ("Timeline and spikes: " + session.timelineMethod + " RTT, one point per " + formatValue(session.bucketMs) + " ms bucket; " + session.spikes.length + " spike(s), " + session.lossMarks.length + " loss gap(s). Headline " + session.method + " RTT p50 " + formatValue(session.rttP50Ms) + " ms, p95 " + formatValue(session.rttP95Ms) + " ms.");
  }
  var data = timelineData(session);
  timeline.full = data[0].length > 0 ? [data[0][0], data[0][data[0].length - 1] + session.bucketMs / 1000] : [0, 1];
  timeline.chart.setData(data, false);
  timeline.chart.setScale("x", { min: timeline.full[0], max: timeline.full[1] });
  if (scroll) document.getElementById("timeline").scrollIntoView({ block: "start" });
}
function drawTimeline() {
  var container = document.getElementById("timeline-chart");
  var select = document.getElementById("timeline-session");
  if (!container || !select || model.sessions.length === 0) return;
  model.sessions.forEach(function (session, index) {
    var option = element("option", "", session.label + (session.spikes.length > 0 ? " (" + session.spikes.length + " spike" + (session.spikes.length > 1 ? "s" : "") + ")" : ""));
    option.value = String(index);
    select.appendChild(option);
  });
  var status = element("p", "chart-status", "");
  var options = function () { return {
    width: chartWidth(container), height: 280,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false }, y: timeline && timeline.log ? { distr: 3, log: 10 } : { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
    axes: [timeAxis(), valueAxis(timeline && timeline.log ? "RTT (ms, log)" : "RTT (ms)", "ms")],
    series: [
      { label: "time", value: function (u, value) { return timeText(value); } },
      { label: "RTT max per bucket", stroke: "#2563eb", width: 1.5, value: function (u, value) { return formatValue(value) + " ms"; } },
      { label: "RTT min per bucket", stroke: "#93c5fd", width: 1, value: function (u, value) { return formatValue(value) + " ms"; } }
    ],
    hooks: {
      drawClear: [function (u) {
        if (!timeline) return;
        timeline.session.spikes.forEach(function (spike) { shade(u, seconds(spike.startUs), seconds(spike.endUs), "rgba(220,38,38,0.16)"); });
      }],
      draw: [function (u) {
        if (!timeline) return;
        var context = u.ctx;
        var bottom = u.bbox.top + u.bbox.height;
        context.save();
        context.fillStyle = "#7c3aed";
        timeline.session.lossMarks.forEach(function (loss) {
          var x = u.valToPos(seconds(loss.tUs), "x", true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          var size = (4 + Math.min(6, Math.log2(1 + loss.lost) * 1.5)) * devicePixelRatio;
          context.beginPath();
          context.moveTo(x, bottom - size * 1.6);
          context.lineTo(x - size, bottom);
          context.lineTo(x + size, bottom);
          context.closePath();
          context.fill();
        });
        context.restore();
      }],
      setCursor: [function (u) {
        if (!timeline || u.cursor.idx === null || u.cursor.idx === undefined) { return; }
        var text = describeAt(timeline.session, u.posToVal(u.cursor.left, "x"));
        status.textContent = text || "Hover a shaded spike for its top cause, a ▲ for a loss gap.";
      }]
    }
  }; };
  var initial = 0;
  model.sessions.forEach(function (session, index) { if (session.spikes.length > model.sessions[initial].spikes.length) initial = index; });
  timeline = { session: model.sessions[initial], full: [0, 1], chart: null, log: false };
  var data = timelineData(timeline.session);
  timeline.full = data[0].length > 0 ? [data[0][0], data[0][data[0].length - 1] + timeline.session.bucketMs / 1000] : [0, 1];
  timeline.chart = new uPlot(options(), data, container);
  timeline.chart.setScale("x", { min: timeline.full[0], max: timeline.full[1] });
  container.appendChild(status);
  status.textContent = "Hover a shaded spike for its top cause, a ▲ for a loss gap.";
  var key = document.getElementById("timeline-key");
  if (key) {
    keyItem(key, "rgba(220,38,38,0.3)", "latency spike (hover: top cause)");
    keyItem(key, "#7c3aed", "loss gap (size: datagrams lost)", "triangle");
  }
  var attachWheel = panZoomToolbar(function () { return timeline.chart; }, container, function () { return timeline.full; });
  var resetOnDoubleClick = function (u) { u.over.addEventListener("dblclick", function () { u.setScale("x", { min: timeline.full[0], max: timeline.full[1] }); }); };
  resetOnDoubleClick(timeline.chart);
  select.addEventListener("change", function () { showSession(Number(select.value), false); });
  showSession(initial, false);
  var entry = { chart: timeline.chart, container: container };
  charts.push(entry);
  if (key) {
    // A 2-s spike flattens a 20-ms baseline: a log RTT axis shows both (the chart is rebuilt, the zoom kept).
    var toggle = element("label", "key-item log-toggle");
    var checkbox = element("input");
    checkbox.type = "checkbox";
    checkbox.id = "timeline-log";
    toggle.appendChild(checkbox);
    toggle.appendChild(element("span", "key-text", "log RTT axis"));
    key.appendChild(toggle);
    checkbox.addEventListener("change", function () {
      var previous = timeline.chart;
      var range = [previous.scales.x.min, previous.scales.x.max];
      timeline.log = checkbox.checked;
      previous.destroy();
      var rebuilt = new uPlot(options(), timelineData(timeline.session), container);
      container.insertBefore(rebuilt.root, status);
      rebuilt.setScale("x", { min: range[0], max: range[1] });
      timeline.chart = rebuilt;
      entry.chart = rebuilt;
      if (window.tickscopeCharts) window.tickscopeCharts[charts.indexOf(entry)] = rebuilt;
      attachWheel(rebuilt);
      resetOnDoubleClick(rebuilt);
    });
  }
}

// ---------------------------------------------------------------- bandwidth
function drawBandwidth() {
  var container = document.getElementById("bandwidth-chart");
  if (!container || !model.bandwidth) return;
  var bandwidth = model.bandwidth;
  var xs = bandwidth.tUs.map(seconds);
  var raw = bandwidth.types.map(function (type) { return type.bytesPerSecond; });
  var stacked = [];
  var running = xs.map(function () { return 0; });
  raw.forEach(function (values) {
    running = running.map(function (sum, index) { return sum + values[index]; });
    stacked.push(running.slice());
  });
  // Drawn top layer first so each smaller cumulative area covers the one above it.
  var order = stacked.map(function (_, index) { return stacked.length - 1 - index; });
  var series = [{ label: "time", value: function (u, value) { return timeText(value); } }];
  order.forEach(function (which) {
    var color = SERIES_COLORS[which % SERIES_COLORS.length];
    series.push({
      label: bandwidth.types[which].name, stroke: color, fill: color + "cc", width: 1,
      value: function (u, value, seriesIndex, index) { return index === null || index === undefined ? "–" : formatValue(raw[which][index]) + " B/s"; }
    });
  });
  var data = [xs].concat(order.map(function (which) { return stacked[which]; }));
  var full = [xs[0], xs[xs.length - 1] + bandwidth.bucketMs / 1000];
  var u = new uPlot({
    width: chartWidth(container), height: 260,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.08)]; } } },
    axes: [timeAxis(), valueAxis("bytes/s, stacked", "B/s")],
    series: series
  }, data, container);
  panZoomToolbar(function () { return u; }, container, function () { return full; });
  charts.push({ chart: u, container: container });
}

// ---------------------------------------------------------------- anticheat evidence
function drawPlayers() {
  model.flaggedPlayers.forEach(function (player, index) {
    var container = document.getElementById("player-chart-" + index);
    if (!container) return;
    var session = player.sessionIndex >= 0 ? model.sessions[player.sessionIndex] : null;
    var xs = session && session.tUs.length > 0 ? session.tUs.map(seconds) : [];
    var values = session && session.tUs.length > 0 ? session.maxMs : [];
    var starts = player.findings.map(function (finding) { return seconds(finding.startUs); });
    var ends = player.findings.map(function (finding) { return seconds(finding.endUs); });
    var low = Math.min.apply(null, xs.concat(starts));
    var high = Math.max.apply(null, (xs.length > 0 ? [xs[xs.length - 1] + session.bucketMs / 1000] : []).concat(ends));
    if (!isFinite(low) || !isFinite(high)) return;
    if (high - low < 1) { low -= 0.5; high += 0.5; }
    if (xs.length === 0) { xs = [low, high]; values = [null, null]; }
    var status = element("p", "chart-status", "Hover a marked interval for its finding.");
    var u = new uPlot({
      width: chartWidth(container), height: 170,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, (max || 1) * 1.1)]; } } },
      axes: [timeAxis(), valueAxis("RTT (ms)", "ms")],
      series: [{ label: "time", value: function (u, value) { return timeText(value); } }, { label: "RTT max per bucket", stroke: "#2563eb", width: 1.2, value: function (u, value) { return formatValue(value) + " ms"; } }],
      hooks: {
        drawClear: [function (u) {
          player.findings.forEach(function (finding) {
            var color = SEVERITY_COLORS[finding.severity] || "#64748b";
            shade(u, seconds(finding.startUs), seconds(finding.endUs), color + "40");
          });
        }],
        draw: [function (u) {
          var context = u.ctx;
          context.save();
          player.findings.forEach(function (finding) {
            var x = u.valToPos(seconds(finding.startUs), "x", true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            context.strokeStyle = SEVERITY_COLORS[finding.severity] || "#64748b";
            context.lineWidth = 2 * devicePixelRatio;
            context.beginPath();
            context.moveTo(x, u.bbox.top);
            context.lineTo(x, u.bbox.top + u.bbox.height);
            context.stroke();
          });
          context.restore();
        }],
        setCursor: [function (u) {
          if (u.cursor.left === undefined || u.cursor.left < 0) return;
          var offset = u.posToVal(u.cursor.left, "x");
          var tolerance = (u.scales.x.max - u.scales.x.min) / 100;
          var hit = player.findings.filter(function (finding) { return offset >= seconds(finding.startUs) - tolerance && offset <= seconds(finding.endUs) + tolerance; });
          status.textContent = hit.length === 0 ? "Hover a marked interval for its finding." : hit.map(function (finding) { return finding.severity + " " + finding.kind + " at " + timeText(seconds(finding.startUs)) + ": " + finding.summary; }).join(" | ");
        }]
      }
    }, [xs, values], container);
    u.setScale("x", { min: low, max: high });
    container.appendChild(status);
    panZoomToolbar(function () { return u; }, container, function () { return [low, high]; });
    charts.push({ chart: u, container: container });
  });
}

function resizeAll() {
  charts.forEach(function (entry) {
    var width = chartWidth(entry.container);
    if (Math.abs(width - entry.chart.width) > 1) entry.chart.setSize({ width: width, height: entry.chart.height });
  });
}

function onHash() {
  var match = /^#session-(\d+)$/.exec(location.hash);
  if (match && Number(match[1]) < model.sessions.length) showSession(Number(match[1]), false);
}

// A finding's "timeline" link opens its session's timeline zoomed on the finding (a quarter of its span around it, at least 5 s).
function onEvidenceClick(event) {
  var link = event.target && event.target.closest ? event.target.closest("a.evidence-link[data-start-s]") : null;
  if (!link || !timeline) return;
  var match = /^#session-(\d+)$/.exec(link.getAttribute("href"));
  if (!match || Number(match[1]) >= model.sessions.length) return;
  event.preventDefault();
  history.replaceState(null, "", link.getAttribute("href"));
  showSession(Number(match[1]), false);
  var start = Number(link.dataset.startS), end = Number(link.dataset.endS);
  var pad = Math.max(5, (end - start) / 4);
  timeline.chart.setScale("x", { min: Math.max(timeline.full[0], start - pad), max: Math.min(timeline.full[1], end + pad) });
  document.getElementById("timeline").scrollIntoView({ block: "start" });
}

function draw(step) {
  try { step(); } catch (error) {
    var failure = element("p", "chart-error", "A chart failed to draw: " + (error && error.message ? error.message : String(error)));
    document.body.insertBefore(failure, document.body.firstChild);
    document.documentElement.dataset.renderError = String(error && error.stack ? error.stack : error);
  }
}
draw(drawHeatmap);
draw(drawTimeline);
draw(drawBandwidth);
draw(drawPlayers);
onHash();
window.addEventListener("hashchange", onHash);
document.addEventListener("click", onEvidenceClick);
var pending = 0;
window.addEventListener("resize", function () { clearTimeout(pending); pending = setTimeout(resizeAll, 100); });
document.documentElement.dataset.renderMs = String(Math.round((performance.now() - started) * 10) / 10);
document.documentElement.dataset.charts = String(charts.length);
// For tests and the console: the uPlot instances, heatmap and timeline first.
window.tickscopeCharts = charts.map(function (entry) { return entry.chart; });
})();
`;
