// LTI Platform Storage, the tool's side: keep the login's state and nonce in the platform's frame
// (mode "put", then on to the platform), or read them back when Rapport's cookie was blocked
// (mode "get", then to Rapport). Messages go only to the platform's origin, and only answers
// from that origin and that very frame are heard. Both the current "lti." message names and the
// older "org.imsglobal.lti." ones are sent; the first good answer counts. No answer in time means
// the cookie has to do (put) or the activity has to open in a new window (get).
(function () {
  "use strict";
  var box = document.getElementById("platform-storage");
  if (!box) return;
  var TIMEOUT_MS = 5000, RESEND_MS = 400;  // a message can be missed by a frame still settling: ask again until answered
  var origin = box.dataset.origin, targetName = box.dataset.target, keys = JSON.parse(box.dataset.keys);
  var host = window.parent !== window ? window.parent : window.opener;
  var frame = null;
  try {
    frame = !host ? null : targetName === "_parent" ? host : host.frames[targetName] || null;
  } catch (error) {
    frame = null;
  }
  var waiting = {};  // message_id -> what to do with its answer

  function messageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !frame || event.source !== frame) return;
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.message_id !== "string") return;
    var entry = waiting[data.message_id];
    if (!entry || data.subject !== entry.subject + ".response") return;
    delete waiting[data.message_id];
    entry.answer(data);
  });

  // Ask the platform frame to put or get one key; resolves with the answer, or null.
  function ask(kind, key, value) {
    return new Promise(function (resolve) {
      var subjects = ["lti." + kind, "org.imsglobal.lti." + kind], answered = 0, done = false;
      var timer = window.setTimeout(function () { finish(null); }, TIMEOUT_MS), resend = null, sent = [];
      function finish(result) {
        if (done) return;
        done = true;
        window.clearTimeout(timer);
        window.clearInterval(resend);
        sent.forEach(function (message) { delete waiting[message.message_id]; });
        resolve(result);
      }
      subjects.forEach(function (subject) {
        var id = messageId(), message = {subject: subject, message_id: id, key: key};
        if (value !== undefined) message.value = value;
        waiting[id] = {subject: subject, answer: function (data) {
          answered += 1;
          var good = !data.error && (kind === "put_data" || typeof data.value === "string");
          if (good) finish(data);
          else if (answered === subjects.length) finish(null);
        }};
        sent.push(message);
      });
      // The same message ids each time: the first answer to each is heard, later copies are not.
      function send() {
        sent.forEach(function (message) { if (waiting[message.message_id]) frame.postMessage(message, origin); });
      }
      send();
      resend = window.setInterval(send, RESEND_MS);
    });
  }

  var HEADINGS = {"storage-fallback": "Open the activity in a new window",
                  "storage-refusal": "Rapport could not open this activity"};

  function show(id) {
    document.getElementById("storage-status").hidden = true;
    document.getElementById("storage-heading").textContent = HEADINGS[id];
    var section = document.getElementById(id);
    section.hidden = false;
    return section;
  }

  function refused(body) {
    var section = show("storage-refusal");
    var fields = body || {message: "Rapport could not reach its server to finish this launch.",
                          hint: "Go back to the course page and open the activity again.", code: "storage_request_failed"};
    ["message", "hint", "code"].forEach(function (name) {
      section.querySelector('[data-field="' + name + '"]').textContent = fields[name] || "";
    });
  }

  var names = Object.keys(keys);
  if (box.dataset.mode === "put") {
    var next = function () { window.location.replace(box.dataset.next); };
    if (!frame) { next(); return; }
    Promise.all(names.map(function (key) { return ask("put_data", key, keys[key]); })).then(next);
    return;
  }

  if (!frame) { show("storage-fallback"); return; }
  Promise.all(names.map(function (key) { return ask("get_data", key); })).then(function (answers) {
    var body = {id_token: box.dataset.token, state: box.dataset.state};
    for (var i = 0; i < names.length; i += 1) {
      if (!answers[i]) { show("storage-fallback"); return; }
      body[keys[names[i]]] = answers[i].value;
    }
    return window.fetch(box.dataset.next, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok && answer.location) window.location.replace(answer.location);
        else refused(answer);
      });
    });
  }).catch(function () { refused(null); });
})();
