// The dashboards' charts, drawn with Chart.js from the JSON each chart's page holds
// (json_script). The tables under the charts hold the same numbers and links, so
// everything here is a convenience: without it the page still says everything.
(function () {
  "use strict";

  var ORIGINS = { own: "#b3261e", external: "#1a4f8f" };
  // Distinct enough side by side, and dark enough on white.
  var PALETTE = ["#1a4f8f", "#b3261e", "#1f7a3a", "#8a5a00", "#6b3fa0", "#0f7c86", "#a8326e",
    "#5b6472", "#c26a00", "#2f5f2f", "#3d3dbb", "#8f1a1a", "#44708f"];

  function colour(dataset, index) {
    return ORIGINS[dataset.key] || PALETTE[index % PALETTE.length];
  }

  function draw(canvas) {
    if (!window.Chart || window.Chart.getChart(canvas)) { return; }
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var horizontal = Boolean(spec.horizontal);
    var value = { beginAtZero: true, stacked: Boolean(spec.stacked), ticks: { precision: 0 } };
    if (spec.percent) {
      value.max = 100;
      value.ticks = { callback: function (tick) { return tick + "%"; } };
    }
    if (spec.max) { value.max = spec.max; value.ticks = {}; }
    var category = { stacked: Boolean(spec.stacked), ticks: { autoSkip: true } };
    var reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label, data: dataset.data, links: dataset.links,
            backgroundColor: colour(dataset, index),
          };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        scales: horizontal ? { x: value, y: category } : { x: category, y: value },
        plugins: {
          legend: { display: spec.datasets.length > 1, position: "bottom" },
          tooltip: spec.percent ? {
            callbacks: { label: function (item) { return item.dataset.label + ": " + item.formattedValue + "%"; } },
          } : {},
        },
        // A bar opens the list of the incidents it counts.
        onClick: function (event, elements, chart) {
          var hit = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true)[0];
          if (!hit) { return; }
          var links = chart.data.datasets[hit.datasetIndex].links || [];
          if (links[hit.index]) { window.location.assign(links[hit.index]); }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  // Charts of a body htmx is about to replace are let go first, so none is left drawing
  // into a detached canvas.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !window.Chart) { return; }
    target.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) { chart.destroy(); }
    });
  });
  // The first page load, and every body htmx swaps in.
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });

  // A table row opens what its first link opens, wherever on the row one clicks.
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button") || event.defaultPrevented) { return; }
    if (window.getSelection && String(window.getSelection())) { return; }  // selecting text
    window.location.assign(row.dataset.href);
  });
}());
