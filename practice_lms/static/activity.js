// The activity page: load the storage frame first, then the activity, so Rapport finds the
// storage ready; and answer the tool's lti.capabilities question about what this page offers.
(function () {
  "use strict";
  var page = document.getElementById("lms-frame-page");
  var tool = page.querySelector("iframe.tool");
  var storage = page.querySelector("iframe.storage");
  var storageName = page.dataset.storageFrame;

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== page.dataset.toolOrigin || event.source !== tool.contentWindow) return;
    if (!data || typeof data !== "object") return;
    if (data.subject !== "lti.capabilities" && data.subject !== "org.imsglobal.lti.capabilities") return;
    var prefix = data.subject === "lti.capabilities" ? "lti." : "org.imsglobal.lti.";
    var supported = [{subject: prefix + "capabilities"}];
    if (storageName) {
      supported.push({subject: prefix + "put_data", frame: storageName}, {subject: prefix + "get_data", frame: storageName});
    }
    event.source.postMessage({subject: data.subject + ".response", message_id: data.message_id,
                              supported_messages: supported}, event.origin);
  });

  function openActivity() { tool.src = tool.dataset.src; }
  if (storage) {
    storage.addEventListener("load", openActivity, {once: true});
    storage.src = storage.dataset.src;
  } else {
    openActivity();
  }
})();
