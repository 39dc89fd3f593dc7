// Saves a learner's survey answers as they choose them, so a closed tab or a lost connection
// loses nothing. Without this script the form still works: both buttons save on the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var tokenField = form.querySelector("input[name=lt]");
  var state = form.querySelector("[data-save-state]");
  var problem = form.querySelector("[data-save-problem]");
  var counter = form.querySelector("[data-answered-count]");
  var total = form.querySelectorAll("fieldset.survey-item").length;
  var timer = null;
  var failing = false;

  function chosen() {
    var answers = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      answers[input.name.slice(2)] = parseInt(input.value, 10);
    });
    return answers;
  }

  function show(text, isProblem) {
    state.textContent = text;
    if (isProblem) { problem.textContent = text; }
  }

  function save() {
    var answers = chosen();
    fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-Rapport-Launch": tokenField ? tokenField.value : ""},
      body: JSON.stringify({answers: answers}),
      credentials: "omit"
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; },
                                  function () { return {ok: false, body: {}}; });
    }).then(function (result) {
      if (!result.ok) { throw new Error(result.body.message || result.body.error || "the server did not answer"); }
      var now = new Date();
      show("Saved " + result.body.answered + " of " + result.body.of + " answers at " +
           now.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) + ".", false);
      if (failing) { problem.textContent = "Your answers are saved again."; }
      failing = false;
    }).catch(function (error) {
      failing = true;
      show("Not saved yet (" + error.message + "). Your choices stay on this page; press Save and finish later to try again.", true);
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.type !== "radio") { return; }
    var fieldset = event.target.closest("fieldset");
    if (fieldset) { fieldset.classList.remove("missing"); }
    if (counter) { counter.textContent = Object.keys(chosen()).length + " of " + total + " answered."; }
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 700);
  });
}());
