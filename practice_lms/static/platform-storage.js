// LTI Platform Storage, the platform's side: a hidden frame beside the activity keeps values for
// Rapport's origin while the page is open. It answers only messages from Rapport's origin sent by
// the activity frame of this page, understands the lti.* and the older org.imsglobal.lti.*
// names, and answers each with "<subject>.response".
(function () {
  "use strict";
  var config = document.getElementById("storage");
  var toolOrigin = config.dataset.toolOrigin, toolFrame = config.dataset.toolFrame;
  var MAX_KEYS = 200, MAX_KEY = 2048, MAX_VALUE = 4096;
  var kept = Object.create(null);
  var SUBJECT = /^(org\.imsglobal\.)?lti\.(put_data|get_data|capabilities)$/;

  window.addEventListener("message", function (event) {
    var data = event.data, tool = null;
    try { tool = window.parent.frames[toolFrame]; } catch (error) { return; }
    if (event.origin !== toolOrigin || !tool || event.source !== tool) return;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") return;
    if (/\.response$/.test(data.subject)) return;
    var reply = {subject: data.subject + ".response", message_id: data.message_id};
    var match = SUBJECT.exec(data.subject);
    var action = match ? match[2] : null;
    var key = data.key;
    if (!match) {
      if (!/^(org\.imsglobal\.)?lti\./.test(data.subject)) return;
      reply.error = {code: "unsupported_subject", message: "This platform does not answer " + data.subject};
    } else if (action === "capabilities") {
      var prefix = match[1] ? "org.imsglobal.lti." : "lti.";
      reply.supported_messages = [{subject: prefix + "put_data"}, {subject: prefix + "get_data"}];
    } else if (typeof key !== "string" || !key || key.length > MAX_KEY) {
      reply.error = {code: "bad_request", message: "A key is required (at most " + MAX_KEY + " characters)"};
    } else if (action === "put_data") {
      if (typeof data.value !== "string" || data.value.length > MAX_VALUE) {
        reply.error = {code: "bad_request", message: "A value is required (at most " + MAX_VALUE + " characters)"};
      } else if (!(key in kept) && Object.keys(kept).length >= MAX_KEYS) {
        reply.error = {code: "storage_exhaustion", message: "This page keeps at most " + MAX_KEYS + " values"};
      } else {
        kept[key] = data.value;
        reply.key = key;
        reply.value = data.value;
      }
    } else if (key in kept) {
      reply.key = key;
      reply.value = kept[key];
    } else {
      reply.key = key;
      reply.error = {code: "bad_request", message: "Nothing is stored under this key"};
    }
    event.source.postMessage(reply, event.origin);
  });
})();
