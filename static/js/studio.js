// The New video form's keyboard and memory: Ctrl/Cmd+Enter generates, the duration
// readout, the upload bar, recent prompts and presets (reference slots: slots.js).
(function () {
  "use strict";

  function form() {
    return document.getElementById("new-form");
  }

  // -- generate from anywhere ---------------------------------------------------------

  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Enter" || !(evt.ctrlKey || evt.metaKey)) {
      return;
    }
    const current = form();
    const generate = document.getElementById("generate");
    if (!current || !generate || generate.disabled) {
      return;
    }
    evt.preventDefault();
    current.requestSubmit(generate);
  });

  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("#new-form input[type=range][name=duration]")) {
      const out = document.getElementById("duration-out");
      if (out) {
        out.textContent = evt.target.value + " s";
      }
    }
  });

  // The upload bar belongs to one submission: hide it once the request ends.
  document.addEventListener("htmx:afterRequest", function () {
    const bar = document.getElementById("upload-progress");
    if (bar) {
      bar.hidden = true;
      bar.value = 0;
    }
  });

  // -- recent prompts and presets -----------------------------------------------------

  document.addEventListener("click", function (evt) {
    const pick = evt.target.closest && evt.target.closest(".prompt-pick");
    if (!pick) {
      return;
    }
    const prompt = document.querySelector("#new-form textarea[name=prompt]");
    if (prompt) {
      prompt.value = pick.dataset.prompt;
      prompt.focus();
    }
    const details = pick.closest("details");
    if (details) {
      details.open = false;
    }
  });

  // Esc closes the recent prompts list (dialogs close themselves).
  document.addEventListener("keydown", function (evt) {
    const open = evt.key === "Escape" && document.querySelector("details.recent[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  // Presets are kept in this browser: every setting but the prompt, seed and files.
  const PRESETS = "seedance.presets";
  const PRESET_FIELDS = ["mode", "model", "aspect_ratio", "duration", "generate_audio", "watermark",
    "camera_fixed", "return_last_frame"];

  function presets() {
    try {
      return JSON.parse(localStorage.getItem(PRESETS) || "[]");
    } catch (err) {
      return [];
    }
  }

  function fillPresets() {
    const pickList = document.getElementById("preset-pick");
    if (!pickList || pickList.dataset.filled) {
      return;
    }
    pickList.dataset.filled = "1";
    presets().forEach(function (preset, index) {
      pickList.add(new Option(preset.name, String(index)));
    });
  }
  document.addEventListener("DOMContentLoaded", fillPresets);
  document.addEventListener("htmx:afterSettle", fillPresets);

  document.addEventListener("click", function (evt) {
    if (!(evt.target.closest && evt.target.closest("#preset-save"))) {
      return;
    }
    const current = form();
    const name = window.prompt("Name this preset (tier, mode, ratio, duration and switches):");
    if (!current || !name) {
      return;
    }
    const data = new FormData(current);
    const query = new URLSearchParams();
    PRESET_FIELDS.forEach(function (field) {
      if (data.has(field)) {
        query.set(field, data.get(field));
      }
    });
    const list = presets().filter(function (p) { return p.name !== name.trim(); });
    list.push({ name: name.trim().slice(0, 60), query: query.toString() });
    localStorage.setItem(PRESETS, JSON.stringify(list));
    const pickList = document.getElementById("preset-pick");
    pickList.replaceChildren(new Option("Presets", ""));
    delete pickList.dataset.filled;
    fillPresets();
  });

  document.addEventListener("change", function (evt) {
    if (evt.target.id !== "preset-pick" || !evt.target.value) {
      return;
    }
    const preset = presets()[parseInt(evt.target.value, 10)];
    const current = form();
    if (!preset || !current || !window.htmx) {
      return;
    }
    // The server renders the form for the preset (as for a mode change), keeping what
    // was typed in the prompt and seed.
    const query = new URLSearchParams(preset.query);
    ["prompt", "seed"].forEach(function (field) {
      const el = current.elements[field];
      if (el && el.value) {
        query.set(field, el.value);
      }
    });
    window.htmx.ajax("GET", current.dataset.formUrl + "?" + query.toString(),
      { target: "#new-form", swap: "outerHTML" });
  });
})();
