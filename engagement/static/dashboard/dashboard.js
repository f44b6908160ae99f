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

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    window.Chart.register(errorBars);
    window.Chart.defaults.font.family =
      '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", Meiryo, sans-serif';
    window.Chart.defaults.maintainAspectRatio = false;
    window.Chart.defaults.font.size = 13;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      spec.options = spec.options || {};
      spec.options.responsive = true;
      spec.options.animation = false;
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
