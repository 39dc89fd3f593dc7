// Records which parts of a video the learner actually played, and sends them to Rapport:
// every few seconds while playing, on pause and end, and when the page is hidden.
(function () {
  "use strict";
  document.querySelectorAll("video[data-video]").forEach(function (video) {
    var played = [];      // intervals not yet sent: [[start, end], ...]
    var from = null;      // where the current stretch of playing began
    var last = 0;

    function close() {
      if (from !== null && video.currentTime > from) played.push([from, video.currentTime]);
      from = video.paused ? null : video.currentTime;
    }
    function send(useBeacon) {
      close();
      if (!played.length || !video.duration || !isFinite(video.duration)) return;
      var body = JSON.stringify({video: video.dataset.video, duration: video.duration, played: played, lt: video.dataset.launch});
      played = [];
      if (useBeacon && navigator.sendBeacon) {
        navigator.sendBeacon(video.dataset.progressUrl, new Blob([body], {type: "application/json"}));
        return;
      }
      fetch(video.dataset.progressUrl, {method: "POST", body: body, keepalive: true,
        headers: {"Content-Type": "application/json", "X-Rapport-Launch": video.dataset.launch}})
        .catch(function () { /* kept for the next try */ });
    }
    video.addEventListener("play", function () { from = video.currentTime; });
    video.addEventListener("seeking", function () { if (from !== null && last > from) played.push([from, last]); from = null; });
    video.addEventListener("seeked", function () { if (!video.paused) from = video.currentTime; });
    video.addEventListener("timeupdate", function () {
      last = video.currentTime;
      if (from !== null && last - from >= 5) send(false);
    });
    video.addEventListener("pause", function () { send(false); });
    video.addEventListener("ended", function () { send(false); });
    document.addEventListener("visibilitychange", function () { if (document.hidden) send(true); });
    window.addEventListener("pagehide", function () { send(true); });
  });
})();
