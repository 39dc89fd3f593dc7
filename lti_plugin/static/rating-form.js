// The checklist form: saves a draft as the rater types, keeps the answers in this browser
// (localStorage) while the connection is down, and sends them when it is back. The rating's id
// (client_id) travels with every send, so sending the same rating again never makes a second one.
(function () {
  "use strict";
  var form = document.querySelector("form[data-rating-form]");
  if (!form) return;
  var status = document.getElementById("draft-status");
  var key = form.dataset.storageKey;
  var launch = form.elements.lt ? form.elements.lt.value : "";
  var timer = null;
  var sending = false;
  var retry = null;

  function say(text) { if (status) status.textContent = text; }
  function now() { return new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}); }

  function fields() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "lt" && name !== "action") data[name] = String(value);
    });
    return data;
  }
  function read() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function keep(submitting) {
    var record = {fields: fields(), submit: submitting, saved: Date.now()};
    try { localStorage.setItem(key, JSON.stringify(record)); } catch (e) { /* private mode: the server copy still counts */ }
    return record;
  }
  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
    if (retry) { clearInterval(retry); retry = null; }
  }
  function offline(text) {
    say(text);
    if (!retry) retry = setInterval(resend, 15000);
  }
  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(data),
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-Rapport-Launch": launch}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {ok: response.ok, status: response.status, body: body};
      });
    });
  }

  function saveDraft() {
    timer = null;
    var record = keep(false);
    post(form.dataset.draftUrl, record.fields).then(function (answer) {
      if (answer.ok && answer.body.submitted) { forget(); window.location.assign(answer.body.url); return; }
      if (answer.ok) { say("Draft saved at " + now() + "."); return; }
      if (answer.status >= 500) throw new Error("server");
      say(answer.body.error || "The draft could not be saved.");
    }).catch(function () {
      offline("No connection: your answers are kept on this device and will be sent when you are back online.");
    });
  }
  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(saveDraft, 800);
  }
  function sendFinal() {
    if (sending) return;
    sending = true;
    say("Sending your rating…");
    post(form.dataset.submitUrl, read() ? read().fields : fields()).then(function (answer) {
      sending = false;
      if (answer.ok) { forget(); window.location.assign(answer.body.url); return; }
      if (answer.status >= 500) throw new Error("server");
      keep(false);  // refused (for example a question left out): nothing to resend until fixed
      say(answer.body.error || "The rating could not be submitted.");
    }).catch(function () {
      sending = false;
      offline("The connection was lost: your rating is kept on this device and will be sent as soon as you are back online.");
    });
  }
  function resend() {
    var record = read();
    if (!record) return;
    if (record.submit) sendFinal(); else saveDraft();
  }

  function restore() {
    var record = read();
    if (!record) return;
    if (record.saved <= Number(form.dataset.savedAt || 0) && !record.submit) { forget(); return; }
    Object.keys(record.fields).forEach(function (name) {
      var value = record.fields[name];
      var element = form.elements[name];
      if (!element) return;
      if (element instanceof RadioNodeList || (element.length && element[0] && element[0].type === "radio")) {
        Array.prototype.forEach.call(element, function (radio) { radio.checked = radio.value === value; });
      } else if (element.type !== "hidden" || name === "client_id") {
        element.value = value;
      }
    });
    if (record.submit) sendFinal();
    else { say("Restored the answers kept on this device."); schedule(); }
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("formaction")) return;  // "Save draft" posts the form as it is
    event.preventDefault();
    if (!form.reportValidity()) return;
    if (timer) { clearTimeout(timer); timer = null; }
    keep(true);
    sendFinal();
  });
  window.addEventListener("online", resend);
  restore();
})();
