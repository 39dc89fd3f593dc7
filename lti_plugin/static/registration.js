// Tells the platform that opened Rapport's registration page that it is finished (or cancelled),
// as LTI Dynamic Registration asks: the platform then closes the page and shows its own summary.
(function () {
  function close() {
    var target = window.opener || window.parent;
    if (target && target !== window) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  var cancel = document.getElementById("cancel-registration");
  if (cancel) {
    cancel.addEventListener("click", close);
  }
  if (document.getElementById("registration-done")) {
    close();
  }
})();
