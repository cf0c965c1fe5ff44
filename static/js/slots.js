// Reference slots of the New video form: each takes dropped, pasted or chosen files (with
// thumbnails, durations, reorder and remove) or a clip dragged from the gallery. Plain JS
// under the strict CSP: no inline script, no eval, no inline style attributes.
(function () {
  "use strict";

  const CLIP_TYPE = "application/x-seedance-clip";
  const KIND_NAMES = { image: "an image", video: "a video", audio: "an audio file" };
  let activeSlot = null; // the slot a paste goes to: the last one used

  function form() {
    return document.getElementById("new-form");
  }

  // -- reference slots ----------------------------------------------------------------

  function slotInput(slot) {
    return slot.querySelector("input[type=file]");
  }

  function slotFiles(slot) {
    if (!slot.files) {
      slot.files = Array.from(slotInput(slot).files || []);
    }
    return slot.files;
  }

  function say(slot, message) {
    let box = slot.querySelector(".slot-msg");
    if (!box) {
      box = document.createElement("p");
      box.className = "slot-msg errorlist";
      box.setAttribute("role", "status");
      slot.querySelector(".drop").after(box);
    }
    box.textContent = message;
  }

  function accepts(slot, file) {
    return file.type.startsWith(slot.dataset.kind + "/");
  }

  function setActive(slot) {
    document.querySelectorAll(".slot.active").forEach(function (s) { s.classList.remove("active"); });
    activeSlot = slot;
    if (slot) {
      slot.classList.add("active");
    }
  }

  // Writes the slot's list back into its <input type=file> (what the form submits), then
  // tells the page (estimate, reference video seconds) that the files changed.
  function sync(slot) {
    const input = slotInput(slot);
    const transfer = new DataTransfer();
    slotFiles(slot).forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    slot.syncing = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    slot.syncing = false;
    render(slot);
  }

  function addFiles(slot, files) {
    const wanted = [];
    const refused = [];
    Array.from(files).forEach(function (file) {
      (accepts(slot, file) ? wanted : refused).push(file);
    });
    if (refused.length) {
      say(slot, refused.map(function (f) { return f.name || "The pasted item"; }).join(", ") +
        ": this slot takes " + KIND_NAMES[slot.dataset.kind] + ".");
    } else {
      say(slot, "");
    }
    if (!wanted.length) {
      return;
    }
    if (slot.dataset.multiple) {
      slot.files = slotFiles(slot).concat(wanted);
    } else {
      slot.files = [wanted[0]];
    }
    clearReuse(slot);
    sync(slot);
  }

  function clearReuse(slot) {
    const select = slot.dataset.reuse && document.getElementById(slot.dataset.reuse);
    if (select && select.value) {
      select.value = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    slot.clip = null;
  }

  function duration(seconds) {
    if (!isFinite(seconds)) {
      return "";
    }
    const s = Math.round(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function button(label, text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function render(slot) {
    const list = slot.querySelector(".thumbs");
    list.querySelectorAll("[data-url]").forEach(function (el) { URL.revokeObjectURL(el.dataset.url); });
    list.replaceChildren();
    const files = slotFiles(slot);
    files.forEach(function (file, index) {
      const item = document.createElement("li");
      item.className = "thumb-item";
      const url = URL.createObjectURL(file);
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = file.name || "pasted";
      let preview;
      if (file.type.startsWith("image/")) {
        preview = document.createElement("img");
        preview.alt = "";
        preview.src = url;
      } else {
        const isVideo = file.type.startsWith("video/");
        const media = document.createElement(isVideo ? "video" : "audio");
        media.preload = "metadata";
        media.muted = true;
        media.src = url;
        media.addEventListener("loadedmetadata", function () {
          item.dataset.duration = media.duration.toFixed(1);
          label.textContent = duration(media.duration) + " · " + (file.name || "pasted");
        });
        if (isVideo) {
          preview = media;
        } else {
          preview = document.createElement("div");
          preview.className = "audio-icon";
          preview.textContent = "♪";
          preview.append(media);
        }
      }
      preview.dataset.url = url;
      const tools = document.createElement("div");
      tools.className = "tools";
      if (slot.dataset.multiple && files.length > 1) {
        tools.append(button("Move " + file.name + " earlier", "←", function () { move(slot, index, -1); }));
        tools.append(button("Move " + file.name + " later", "→", function () { move(slot, index, 1); }));
      }
      tools.append(button("Remove " + (file.name || "pasted file"), "✕", function () {
        slotFiles(slot).splice(index, 1);
        sync(slot);
      }));
      item.append(preview, label, tools);
      list.append(item);
    });
    if (slot.clip) {
      const item = document.createElement("li");
      item.className = "thumb-item clip";
      const img = document.createElement("img");
      img.alt = "";
      img.src = slot.clip.image;
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = slot.clip.title;
      const tools = document.createElement("div");
      tools.className = "tools";
      tools.append(button("Stop reusing " + slot.clip.title, "✕", function () {
        clearReuse(slot);
        render(slot);
      }));
      item.append(img, label, tools);
      list.append(item);
    }
  }

  function move(slot, index, step) {
    const files = slotFiles(slot);
    const to = index + step;
    if (to < 0 || to >= files.length) {
      return;
    }
    const moved = files.splice(index, 1)[0];
    files.splice(to, 0, moved);
    sync(slot);
  }

  // A clip dragged from the gallery: reuse it through the form's own "reuse one of your
  // clips" picker, so the server copies it as it does for a picked clip.
  function useClip(slot, clip) {
    const select = slot.dataset.reuse && document.getElementById(slot.dataset.reuse);
    if (!select) {
      say(slot, "Gallery clips can go into a first-frame, last-frame or video slot.");
      return;
    }
    const wantsFrame = slot.dataset.kind === "image";
    if (wantsFrame && !clip.lastFrame) {
      say(slot, "That clip has no saved last frame. Turn on “Return last frame” when you make one.");
      return;
    }
    if (!Array.from(select.options).some(function (o) { return o.value === clip.id; })) {
      select.add(new Option(clip.title, clip.id));
    }
    select.value = clip.id;
    slot.files = [];
    sync(slot);
    slot.clip = { title: clip.title, image: wantsFrame ? clip.lastFrame : clip.poster };
    say(slot, "");
    render(slot);
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("dragover", function (evt) {
    const slot = evt.target.closest && evt.target.closest(".slot");
    if (!slot) {
      return;
    }
    evt.preventDefault();
    evt.dataTransfer.dropEffect = "copy";
    slot.classList.add("over");
  });
  document.addEventListener("dragleave", function (evt) {
    const slot = evt.target.closest && evt.target.closest(".slot");
    if (slot && !slot.contains(evt.relatedTarget)) {
      slot.classList.remove("over");
    }
  });
  document.addEventListener("drop", function (evt) {
    const slot = evt.target.closest && evt.target.closest(".slot");
    if (!slot) {
      return;
    }
    evt.preventDefault();
    slot.classList.remove("over");
    setActive(slot);
    const clip = evt.dataTransfer.getData(CLIP_TYPE);
    if (clip) {
      useClip(slot, JSON.parse(clip));
    } else if (evt.dataTransfer.files.length) {
      addFiles(slot, evt.dataTransfer.files);
    }
  });

  document.addEventListener("paste", function (evt) {
    const files = evt.clipboardData ? Array.from(evt.clipboardData.files) : [];
    const current = form();
    if (!files.length || !current) {
      return; // text pastes into the prompt as usual
    }
    const slots = Array.from(current.querySelectorAll(".slot"));
    const focused = document.activeElement && document.activeElement.closest(".slot");
    const slot = focused || (slots.includes(activeSlot) ? activeSlot : null) ||
      slots.find(function (s) { return files.some(function (f) { return accepts(s, f); }); });
    if (!slot) {
      return;
    }
    evt.preventDefault();
    setActive(slot);
    addFiles(slot, files);
  });

  document.addEventListener("change", function (evt) {
    const input = evt.target;
    const slot = input.closest && input.closest(".slot");
    if (!slot || slot.syncing) {
      return;
    }
    if (input.type === "file") {
      // Chosen with the file dialog: add to what the slot already holds.
      const chosen = Array.from(input.files || []);
      slot.files = slot.dataset.multiple ? (slot.previous || []).concat(chosen) : chosen;
      clearReuse(slot);
      sync(slot);
    } else if (input.tagName === "SELECT" && input.value) {
      slot.files = [];
      sync(slot);
    }
    slot.previous = slotFiles(slot).slice();
  });
  document.addEventListener("focusin", function (evt) {
    const slot = evt.target.closest && evt.target.closest(".slot");
    if (slot) {
      setActive(slot);
    }
    if (slot && evt.target.type === "file") {
      slot.previous = slotFiles(slot).slice();
    }
  });

})();
