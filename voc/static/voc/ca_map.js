// The correspondence-analysis map of the coding page (words × segments), drawn with the app's
// own Chart.js. Data come from the page's json_script "ca-data"; no inline script (CSP).
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("ca-map");
    var source = document.getElementById("ca-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var labelPoints = {
      id: "vocPointLabels",
      afterDatasetsDraw: function (chart) {
        var context = chart.ctx;
        context.save();
        var taken = {}; // words at the same spot: their labels are stacked, not overprinted
        chart.data.datasets.forEach(function (dataset, index) {
          var meta = chart.getDatasetMeta(index);
          if (meta.hidden) return;
          context.font = (index === 1 ? "bold " : "") + "12px sans-serif";
          context.fillStyle = index === 1 ? "#8a2d22" : "#1f4e6b";
          meta.data.forEach(function (element, position) {
            var label = dataset.data[position].label;
            var spot = Math.round(element.x / 8) + ":" + Math.round(element.y / 8);
            var shift = (taken[spot] = (taken[spot] || 0) + 1) - 1;
            context.fillText(
              index === 1 ? "[" + label + "]" : label, element.x + 6, element.y - 4 + 14 * shift
            );
          });
        });
        context.restore();
      },
    };
    function axis(number) {
      var share = ((data.inertia[number - 1] || 0) * 100).toFixed(1);
      return data.labels.axis.replace("%(number)d", number).replace("%(share)s%%", share + "%");
    }
    new Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          {
            label: data.labels.words,
            data: data.words,
            pointRadius: data.words.map(function (w) { return 3 + Math.min(6, Math.sqrt(w.n) / 2); }),
            backgroundColor: "rgba(31, 78, 107, 0.55)",
          },
          {
            label: data.labels.segments,
            data: data.segments,
            pointStyle: "rectRot",
            pointRadius: 7,
            backgroundColor: "rgba(196, 69, 54, 0.85)",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: { x: { title: { display: true, text: axis(1) } }, y: { title: { display: true, text: axis(2) } } },
        plugins: {
          tooltip: { callbacks: { label: function (item) { return item.raw.label; } } },
        },
      },
      plugins: [labelPoints],
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
