// Rapport: the first page of a launch is the answer to the platform's form post. Put the
// page's own address (from <meta name="rapport-address">) in place of the launch's, so that
// reloading the page or coming back to it asks for that page instead of posting the launch
// again (the launch can be used only once). Runs in <head>, before anything can be clicked.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="rapport-address"]');
  if (!meta || !window.history || typeof window.history.replaceState !== "function") {
    return;
  }
  try {
    window.history.replaceState(window.history.state, "", meta.getAttribute("content"));
  } catch (error) {
    // An address the browser refuses (never Rapport's own): keep the launch's.
  }
})();
