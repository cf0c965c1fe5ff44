// The export panel's preview: the clip in the chosen format's frame (pad or crop), and the
// format's safe zone drawn over it when "Show the safe zone" is ticked. The zones come
// from the server (studiolib.finishing.presets) as percentages of the frame.
"use strict";

(function () {
  function update(panel) {
    var preview = panel.querySelector(".export-preview");
    if (!preview) return;
    var zones = JSON.parse(preview.dataset.safeZones || "{}");
    var select = panel.querySelector("select[name=preset]");
    var key = select ? select.value : Object.keys(zones)[0];
    var zone = zones[key];
    var frame = preview.querySelector(".export-frame");
    var box = preview.querySelector(".safe-zone");
    var toggle = preview.querySelector(".safe-zone-toggle");
    var crop = panel.querySelector("input[name=fit][value=crop]");
    if (!zone || !frame || !box) return;
    frame.style.aspectRatio = String(zone.ratio);
    frame.dataset.fit = crop && crop.checked ? "crop" : "pad";
    frame.dataset.preset = key;
    box.style.top = zone.top + "%";
    box.style.bottom = zone.bottom + "%";
    box.style.left = zone.left + "%";
    box.style.right = zone.right + "%";
    box.hidden = !(toggle && toggle.checked);
  }

  function panels() {
    document.querySelectorAll("#export-panel").forEach(update);
  }

  document.addEventListener("change", function (event) {
    var panel = event.target.closest && event.target.closest("#export-panel");
    if (panel) update(panel);
  });
  document.addEventListener("htmx:afterSwap", panels);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", panels);
  } else {
    panels();
  }
})();
