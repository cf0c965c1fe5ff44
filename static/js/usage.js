// The usage page's charts. Data comes from the page's json_script block (no inline script
// under the CSP); settled and still-estimated spend are stacked and labelled apart.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("usage-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var style = getComputedStyle(document.documentElement);
    var ok = style.getPropertyValue("--ok").trim() || "#3ecf8e";
    var warn = style.getPropertyValue("--warn").trim() || "#ffb84d";
    var text = style.getPropertyValue("--muted").trim() || "#888";
    window.Chart.defaults.color = text;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = data[canvas.dataset.chart];
      if (!series) return;
      var horizontal = canvas.dataset.chart !== "days";
      canvas.chart = new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: [
            { label: "Settled ($)", data: series.settled, backgroundColor: ok, stack: "spend" },
            { label: "Still estimated ($)", data: series.estimated, backgroundColor: warn, stack: "spend" }
          ]
        },
        options: {
          indexAxis: horizontal ? "y" : "x",
          maintainAspectRatio: false,
          animation: false,
          scales: { x: { stacked: true }, y: { stacked: true } }
        }
      });
    });
    document.documentElement.dataset.chartsDrawn = "1";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
