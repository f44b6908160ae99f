/* Draws the dashboard's charts with the vendored Chart.js (no CDN). Each <canvas data-chart="ID">
   has its Chart.js spec in <script type="application/json" id="ID"> (Django's json_script). */
(function () {
  "use strict";

  // Error bars (95% intervals) for bar charts: dataset.errorBars = [[low, high], ...].
  var errorBars = {
    id: "errorBars",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === "y";
      chart.data.datasets.forEach(function (dataset, datasetIndex) {
        if (!dataset.errorBars) { return; }
        var meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) { return; }
        var scale = horizontal ? chart.scales.x : chart.scales.y;
        ctx.save();
        ctx.strokeStyle = "#212121";
        ctx.lineWidth = 1.5;
        meta.data.forEach(function (bar, i) {
          var bounds = dataset.errorBars[i];
          if (!bounds || bounds[0] === null || bounds[1] === null) { return; }
          var a = scale.getPixelForValue(bounds[0]);
          var b = scale.getPixelForValue(bounds[1]);
          ctx.beginPath();
          if (horizontal) {
            ctx.moveTo(a, bar.y); ctx.lineTo(b, bar.y);
            ctx.moveTo(a, bar.y - 4); ctx.lineTo(a, bar.y + 4);
            ctx.moveTo(b, bar.y - 4); ctx.lineTo(b, bar.y + 4);
          } else {
            ctx.moveTo(bar.x, a); ctx.lineTo(bar.x, b);
            ctx.moveTo(bar.x - 4, a); ctx.lineTo(bar.x + 4, a);
            ctx.moveTo(bar.x - 4, b); ctx.lineTo(bar.x + 4, b);
          }
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };

  // Japanese number formats (Intl.NumberFormat("ja-JP")) for axis ticks and tooltips. A spec
  // names its values' format in "numberFormat" (a dataset may override it for its tooltips):
  // count 1,234 · yen ¥22,450 · percent 43.5% (values already in %) · decimal1 12.3 ·
  // decimal 0.123 (up to three decimals, the default).
  var LOCALE = "ja-JP";
  var formatters = {
    count: new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }),
    yen: new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }),
    percent: new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    decimal1: new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    decimal: new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 3 })
  };

  function formatNumber(value, format) {
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) { return ""; }
    var name = formatters[format] ? format : "decimal";
    var text = formatters[name].format(Number(value));
    if (name === "percent") { return text + "%"; }
    // ¥22,450 as formatting.py writes it (ja-JP's currency style would give the full-width ￥).
    if (name === "yen") { return (Number(value) < 0 ? "-¥" + text.replace("-", "") : "¥" + text); }
    return text;
  }
  window.formatNumberJa = formatNumber;

  function applyNumberFormat(spec) {
    var format = spec.numberFormat || "decimal";
    delete spec.numberFormat;
    var valueAxis = spec.options.indexAxis === "y" ? "x" : "y";
    spec.options.scales = spec.options.scales || {};
    var axis = spec.options.scales[valueAxis] = spec.options.scales[valueAxis] || {};
    axis.ticks = Object.assign({}, axis.ticks, {
      callback: function (value) {
        // Integer axes (counts, yen) never show a fractional tick.
        if ((format === "count" || format === "yen") && Math.floor(value) !== value) { return null; }
        return formatNumber(value, format);
      }
    });
    spec.options.plugins = spec.options.plugins || {};
    spec.options.plugins.tooltip = Object.assign({}, spec.options.plugins.tooltip, {
      callbacks: {
        label: function (context) {
          var parsed = context.parsed || {};
          var value = valueAxis === "x" ? parsed.x : parsed.y;
          var own = context.dataset.numberFormat || format;
          var label = context.dataset.label ? context.dataset.label + ": " : "";
          return label + formatNumber(value, own);
        }
      }
    });
    return spec;
  }

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    window.Chart.register(errorBars);
    window.Chart.defaults.font.family =
      '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", Meiryo, sans-serif';
    window.Chart.defaults.maintainAspectRatio = false;
    window.Chart.defaults.font.size = 13;
    window.Chart.defaults.locale = LOCALE;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      spec.options = spec.options || {};
      spec.options.responsive = true;
      spec.options.animation = false;
      applyNumberFormat(spec);
      // Horizontal bars (key drivers): one row per label, so long Japanese labels never overlap.
      if (spec.options.indexAxis === "y" && spec.data && spec.data.labels && canvas.parentElement) {
        var rows = spec.data.labels.length;
        canvas.parentElement.style.height = Math.max(280, rows * 26 + 80) + "px";
        spec.options.scales = spec.options.scales || {};
        spec.options.scales.y = Object.assign({ ticks: { autoSkip: false } }, spec.options.scales.y);
      }
      canvas.chart = new window.Chart(canvas, spec);
      canvas.dataset.drawn = "1";
    });
    document.body.dataset.chartsDrawn = String(document.querySelectorAll("canvas[data-drawn]").length);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
