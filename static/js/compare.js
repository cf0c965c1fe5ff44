// The compare view: one play/pause and one position slider drive two videos. The longer
// video leads; the other follows it. While playing, a drift under 0.3 s is closed by
// nudging the follower's playback rate (no visible jump) and a larger one by seeking, so
// the two stay within a tenth of a second. If either stalls to buffer, both wait.
(() => {
  "use strict";
  const root = document.querySelector("[data-compare]");
  if (!root) return;
  const videos = Array.from(root.querySelectorAll("video"));
  const toggle = document.querySelector("[data-compare-toggle]");
  const seek = document.querySelector("[data-compare-seek]");
  const clock = document.querySelector("[data-compare-time]");
  const SEEK_OVER = 0.3; // seconds of drift fixed by a seek rather than by the rate
  const NUDGE_OVER = 0.02; // drift below this is left alone
  let wanted = false; // whether the user asked for playback
  const stalled = new Set();
  let leader = videos[0];
  let follower = videos[1];

  const pickLeader = () => {
    const [a, b] = videos;
    const longer = (b.duration || 0) > (a.duration || 0);
    leader = longer ? b : a;
    follower = longer ? a : b;
    seek.max = String(leader.duration || 0);
  };

  const target = () => Math.min(leader.currentTime, (follower.duration || Infinity) - 0.01);

  const correct = () => {
    if (!wanted || leader.paused || follower.ended) {
      follower.playbackRate = 1;
      return;
    }
    if (leader.currentTime >= (follower.duration || Infinity)) return; // the shorter one ended
    const drift = follower.currentTime - leader.currentTime;
    if (Math.abs(drift) > SEEK_OVER) {
      follower.currentTime = target();
      follower.playbackRate = 1;
    } else if (Math.abs(drift) > NUDGE_OVER) {
      follower.playbackRate = Math.min(1.5, Math.max(0.5, 1 - drift * 3));
    } else {
      follower.playbackRate = 1;
    }
  };

  const tick = () => {
    correct();
    if (document.activeElement !== seek) seek.value = String(leader.currentTime);
    clock.textContent = `${leader.currentTime.toFixed(2)} s`;
    if (wanted) requestAnimationFrame(tick);
  };

  const label = () => {
    toggle.textContent = wanted ? "Pause both" : "Play both";
    toggle.setAttribute("aria-pressed", String(wanted));
  };

  const play = async () => {
    wanted = true;
    label();
    if (leader.ended) leader.currentTime = 0;
    follower.currentTime = target();
    follower.playbackRate = 1;
    const starts = [leader.play()];
    if (leader.currentTime < (follower.duration || Infinity)) starts.push(follower.play());
    try {
      await Promise.all(starts);
    } catch (error) {
      wanted = false;
      videos.forEach((v) => v.pause());
      label();
      return;
    }
    requestAnimationFrame(tick);
  };

  const pause = () => {
    wanted = false;
    videos.forEach((v) => v.pause());
    follower.currentTime = target();
    follower.playbackRate = 1;
    label();
    tick();
  };

  toggle.addEventListener("click", () => (wanted ? pause() : play()));
  seek.addEventListener("input", () => {
    const at = Number(seek.value);
    leader.currentTime = at;
    follower.currentTime = Math.min(at, (follower.duration || Infinity) - 0.01);
    clock.textContent = `${at.toFixed(2)} s`;
  });
  leader.addEventListener("ended", () => {
    if (wanted) pause();
  });
  videos.forEach((video) => {
    video.addEventListener("loadedmetadata", pickLeader);
    video.addEventListener("waiting", () => {
      if (!wanted) return;
      stalled.add(video);
      videos.filter((v) => v !== video).forEach((v) => v.pause());
    });
    video.addEventListener("playing", () => {
      stalled.delete(video);
      if (wanted && stalled.size === 0) {
        videos.filter((v) => v.paused && !v.ended).forEach((v) => v.play().catch(() => {}));
      }
    });
  });
  pickLeader();
})();
