// Deep linking ended inside the activity frame: show the course page in the whole window again.
(function () {
  var url = document.getElementById("returned").dataset.course;
  if (window.top !== window) window.top.location.href = url;
  else window.location.replace(url);
})();
