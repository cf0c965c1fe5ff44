// Seedance Studio: the little behaviour htmx does not cover. No inline scripts, no eval
// (the page runs under a strict Content-Security-Policy).
(function () {
  "use strict";

  // Elapsed time ticks in the browser, so a running card needs no request to show it.
  function tick() {
    const now = Math.floor(Date.now() / 1000);
    document.querySelectorAll(".elapsed[data-since]").forEach(function (el) {
      const until = el.dataset.until ? parseInt(el.dataset.until, 10) : now;
      const seconds = Math.max(0, until - parseInt(el.dataset.since, 10));
      const m = Math.floor(seconds / 60);
      el.textContent = m ? m + " min " + (seconds % 60) + " s" : seconds + " s";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  // The live refresh pauses while the tab is hidden and catches up when it is shown.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt.id === "live" && document.hidden) {
      evt.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    const live = document.getElementById("live");
    if (!document.hidden && live && live.getAttribute("hx-get") && window.htmx) {
      window.htmx.trigger(live, "refresh");
    }
  });

  // A card can arrive twice (the create response and a live refresh racing): keep one.
  document.addEventListener("htmx:oobAfterSwap", function () {
    const seen = new Set();
    document.querySelectorAll("#gallery > .card").forEach(function (card) {
      if (seen.has(card.id)) {
        card.remove();
      } else {
        seen.add(card.id);
      }
    });
  });

  // A failed htmx request must say so, not leave a silent or blank swap.
  function flash(message) {
    const box = document.getElementById("flash");
    if (box) {
      box.textContent = message;
      box.classList.add("shown");
    }
  }
  document.addEventListener("htmx:responseError", function (evt) {
    const status = evt.detail.xhr.status;
    if (status === 403) {
      flash("Your session has expired. Please reload the page and log in again.");
    } else if (status === 429) {
      flash(evt.detail.xhr.responseText || "Too many requests. Please wait a moment.");
    } else {
      flash("Something went wrong (HTTP " + status + "). Please reload the page.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flash("The studio cannot be reached. Check your connection; the page will retry.");
  });
})();

// Upload progress for the New video form (htmx sends the files with XHR).
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (evt) {
    const bar = document.getElementById("upload-progress");
    if (!bar || !evt.detail.lengthComputable) {
      return;
    }
    bar.hidden = false;
    bar.value = Math.round((evt.detail.loaded / evt.detail.total) * 100);
  });

  // Reference videos add to the price: read their durations in the browser so the live
  // estimate includes them before anything is uploaded.
  document.addEventListener("change", function (evt) {
    const input = evt.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") {
      return;
    }
    const form = input.closest("form");
    const hidden = form && form.querySelector("#input-video-seconds");
    if (!hidden) {
      return;
    }
    const videos = [];
    form.querySelectorAll("input[type=file]").forEach(function (el) {
      Array.from(el.files || []).forEach(function (file) {
        if (file.type.startsWith("video/")) {
          videos.push(file);
        }
      });
    });
    Promise.all(videos.map(function (file) {
      return new Promise(function (resolve) {
        const probe = document.createElement("video");
        probe.preload = "metadata";
        probe.onloadedmetadata = function () {
          URL.revokeObjectURL(probe.src);
          resolve(probe.duration || 0);
        };
        probe.onerror = function () { resolve(0); };
        probe.src = URL.createObjectURL(file);
      });
    })).then(function (durations) {
      const total = durations.reduce(function (a, b) { return a + b; }, 0);
      if (String(hidden.value) !== total.toFixed(1)) {
        hidden.value = total.toFixed(1);
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();

// Opt-in browser notifications when a clip finishes while the tab is in the background.
(function () {
  "use strict";
  function setupNotify() {
    const button = document.getElementById("notify-optin");
    if (!button || !("Notification" in window) || Notification.permission === "granted") {
      return;
    }
    button.hidden = Notification.permission === "denied";
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }
  document.addEventListener("DOMContentLoaded", setupNotify);
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    const card = evt.detail.target;
    if (!card || !card.classList || !card.classList.contains("card")) {
      return;
    }
    const status = card.dataset.status;
    if (document.hidden && "Notification" in window && Notification.permission === "granted" &&
        (status === "succeeded" || status === "failed")) {
      const title = card.querySelector(".title");
      new Notification(status === "succeeded" ? "Your video is ready" : "A video failed", {
        body: title ? title.textContent : "",
      });
    }
  });
})();
