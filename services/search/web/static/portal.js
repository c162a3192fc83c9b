// Progressive enhancement only: suggestions as you type (the page works without this).
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (!input || !list || !window.fetch) return;
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) return;
      last = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          while (list.firstChild) list.removeChild(list.firstChild);
          (data.suggestions || []).slice(0, 8).forEach(function (s) {
            var option = document.createElement("option");
            option.value = typeof s === "string" ? s : (s.text || s.title || "");
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
