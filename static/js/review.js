// Time-coded review on a clip's page and on a share link's page: a comment's time seeks the
// player; "C" (outside a text field) pauses and starts a comment at the playhead; the In
// field follows the playhead until the person types in it; "Set in/out" take the playhead.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function timecode(seconds) {
    var whole = Math.floor(seconds + 1e-6);
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var text = pad(minutes) + ":" + pad(whole % 60);
    return hours ? hours + ":" + text : text;
  }

  function player() { return document.querySelector(".player video"); }

  function follow(video) {
    var start = document.querySelector("[data-playhead]");
    if (start && !start.dataset.touched) start.value = timecode(video.currentTime);
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("click", function (event) {
    var seek = event.target.closest("[data-seek]");
    var mark = event.target.closest("[data-mark]");
    var video = player();
    if (!video) return;
    if (seek) {
      video.currentTime = parseFloat(seek.dataset.seek);
      video.pause();
      follow(video);
    } else if (mark) {
      var field = document.getElementById(mark.dataset.mark);
      field.value = timecode(video.currentTime);
      field.dataset.touched = "1";
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-playhead]")) event.target.dataset.touched = "1";
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "c" && event.key !== "C") return;
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var video = player();
    var body = document.querySelector(".comment-form textarea");
    if (!video || !body) return;
    event.preventDefault();
    video.pause();
    var start = document.querySelector("[data-playhead]");
    if (start) {
      start.value = timecode(video.currentTime);
      start.dataset.touched = "1";
    }
    body.focus();
  });

  // A guest gives their name once: this browser keeps it for the next post.
  function remember() {
    ["guest-name", "guest-email"].forEach(function (id) {
      var field = document.getElementById(id);
      if (!field) return;
      try {
        if (!field.value) field.value = localStorage.getItem("review:" + id) || "";
        field.addEventListener("change", function () {
          localStorage.setItem("review:" + id, field.value);
        });
      } catch (e) { /* storage off: the guest types it again */ }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    remember();
    var video = player();
    if (!video) return;
    ["timeupdate", "seeked"].forEach(function (name) {
      video.addEventListener(name, function () { follow(video); });
    });
  });
})();
