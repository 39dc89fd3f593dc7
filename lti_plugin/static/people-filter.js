// Filters a list of people as the rater types in the search box (the Search button does the
// same on the server, so the page works without this script).
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) return;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      list.querySelectorAll("li[data-name]").forEach(function (item) {
        var name = item.dataset.name;
        item.hidden = !words.every(function (w) { return name.indexOf(w) >= 0; });
      });
    });
  });
})();
