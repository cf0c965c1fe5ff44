// The gallery as a viewer: hover to play (the video is fetched only then), a lightbox with
// ←/→, F, Space and Esc, shift-click range selection, a "?" shortcut list, and dragging a
// clip into a reference slot of the New video form.
(function () {
  "use strict";

  const CLIP_TYPE = "application/x-seedance-clip";
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)");

  // Single-key shortcuts never fire while typing.
  function typing(el) {
    if (!el || !el.closest) {
      return false;
    }
    if (el.isContentEditable || el.closest("textarea, select")) {
      return true;
    }
    const input = el.closest("input");
    return !!input && !["checkbox", "radio", "button", "submit", "range", "file"].includes(input.type);
  }

  function cardOf(el) {
    return el && el.closest && el.closest("article.card");
  }

  function titleOf(card) {
    const title = card.querySelector(".title");
    return title ? title.textContent.trim() : "Clip";
  }

  // -- hover to play --------------------------------------------------------------------

  document.addEventListener("mouseover", function (evt) {
    const thumb = evt.target.closest && evt.target.closest(".card .thumb");
    if (!thumb || calm.matches || thumb.querySelector("video")) {
      return;
    }
    const video = document.createElement("video");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.setAttribute("aria-hidden", "true");
    video.tabIndex = -1;
    video.src = thumb.dataset.video;
    thumb.append(video);
    video.play().catch(function () {});
  });
  document.addEventListener("mouseout", function (evt) {
    const thumb = evt.target.closest && evt.target.closest(".card .thumb");
    if (!thumb || thumb.contains(evt.relatedTarget)) {
      return;
    }
    const video = thumb.querySelector("video");
    if (video) {
      video.pause();
      video.removeAttribute("src");
      video.load();
      video.remove();
    }
  });

  // -- drag a clip into a reference slot --------------------------------------------------

  document.addEventListener("dragstart", function (evt) {
    const thumb = evt.target.closest && evt.target.closest(".card .thumb");
    if (!thumb) {
      return;
    }
    if (thumb.closest(".read-only")) {
      evt.preventDefault(); // a role that cannot generate has no form to drop a clip into
      return;
    }
    const img = thumb.querySelector("img");
    evt.dataTransfer.effectAllowed = "copy";
    evt.dataTransfer.setData(CLIP_TYPE, JSON.stringify({
      id: thumb.dataset.clip,
      title: titleOf(cardOf(thumb)),
      poster: img ? img.getAttribute("src") : "",
      lastFrame: thumb.dataset.lastFrame || "",
    }));
    evt.dataTransfer.setData("text/uri-list", thumb.href);
  });

  // -- the viewer ----------------------------------------------------------------------

  let current = null; // the card shown in the viewer

  function viewer() {
    return document.getElementById("viewer");
  }

  function playable() {
    return Array.from(document.querySelectorAll("#gallery article.card[data-status=succeeded]"));
  }

  function show(card) {
    const dialog = viewer();
    const thumb = card && card.querySelector(".thumb");
    if (!dialog || !thumb) {
      return;
    }
    current = card.id;
    const video = document.getElementById("viewer-video");
    video.src = thumb.dataset.video;
    video.poster = thumb.querySelector("img").getAttribute("src");
    const title = document.getElementById("viewer-title");
    title.textContent = titleOf(card);
    title.href = thumb.getAttribute("href");
    document.getElementById("viewer-download").href = thumb.dataset.video + "?download=1";
    syncStar();
    if (!dialog.open) {
      dialog.showModal();
    }
  }

  function syncStar() {
    const card = current && document.getElementById(current);
    const star = card && card.querySelector("button.star");
    const mine = document.querySelector("#viewer [data-viewer=star]");
    if (!star || !mine) {
      return;
    }
    const on = star.getAttribute("aria-pressed") === "true";
    mine.setAttribute("aria-pressed", String(on));
    mine.firstChild.textContent = on ? "★" : "☆";
  }

  function step(delta) {
    const cards = playable();
    const index = cards.findIndex(function (c) { return c.id === current; });
    const next = cards[index + delta];
    if (next) {
      show(next);
    }
  }

  function star() {
    if (!document.querySelector("#viewer [data-viewer=star]")) {
      return; // the role may not star: the viewer has no star button
    }
    const card = current && document.getElementById(current);
    const button = card && card.querySelector("button.star");
    if (button) {
      button.click();
    }
  }

  function toggle() {
    const video = document.getElementById("viewer-video");
    if (video.paused) {
      video.play().catch(function () {});
    } else {
      video.pause();
    }
  }

  document.addEventListener("click", function (evt) {
    const thumb = evt.target.closest && evt.target.closest(".card .thumb");
    if (thumb && !(evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.button)) {
      evt.preventDefault();
      show(cardOf(thumb));
      return;
    }
    const control = evt.target.closest && evt.target.closest("[data-viewer]");
    if (control) {
      const action = control.dataset.viewer;
      if (action === "prev") { step(-1); }
      if (action === "next") { step(1); }
      if (action === "star") { star(); }
      if (action === "close") { viewer().close(); }
    }
    const opener = evt.target.closest && evt.target.closest("[data-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.open);
      if (dialog && !dialog.open) {
        dialog.showModal();
      }
    }
  });

  document.addEventListener("close", function (evt) {
    if (evt.target.id === "viewer") {
      const video = document.getElementById("viewer-video");
      video.pause();
      video.removeAttribute("src");
      video.load();
      const card = current && document.getElementById(current);
      const thumb = card && card.querySelector(".thumb");
      current = null;
      if (thumb) {
        thumb.focus();
      }
    }
  }, true);

  // A starred card swaps in anew: keep the viewer's star in step.
  document.addEventListener("htmx:afterSettle", syncStar);

  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) {
      return;
    }
    const dialog = viewer();
    if (dialog && dialog.open) {
      if (evt.key === "ArrowLeft") { evt.preventDefault(); step(-1); }
      else if (evt.key === "ArrowRight") { evt.preventDefault(); step(1); }
      else if (evt.key === "f" || evt.key === "F") { evt.preventDefault(); star(); }
      else if (evt.key === " " && evt.target.tagName !== "VIDEO") { evt.preventDefault(); toggle(); }
      return;
    }
    if (typing(evt.target)) {
      return;
    }
    if (evt.key === "?") {
      const list = document.getElementById("shortcuts");
      if (list && !list.open) {
        evt.preventDefault();
        list.showModal();
      }
    }
  });

  // -- shift-click selects a range -------------------------------------------------------

  let lastPicked = null;
  document.addEventListener("click", function (evt) {
    const box = evt.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "ids") {
      return;
    }
    const boxes = Array.from(document.querySelectorAll("#gallery input[name=ids]"));
    if (evt.shiftKey && lastPicked && boxes.includes(lastPicked)) {
      const [from, to] = [boxes.indexOf(lastPicked), boxes.indexOf(box)].sort(function (a, b) { return a - b; });
      boxes.slice(from, to + 1).forEach(function (each) { each.checked = box.checked; });
    }
    lastPicked = box;
  });
})();
