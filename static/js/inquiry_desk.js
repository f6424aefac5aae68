// The inquiry desk: show only the details the chosen question needs.
// Without this script the desk still works: "Continue" asks the server for the
// same fields, and the server reads and requires only those (privacy/forms.py).
(function () {
  "use strict";
  var data = document.getElementById("inquiry-needs");
  var form = data && data.closest("form");
  if (!form) {
    return;
  }
  var needs = JSON.parse(data.textContent);
  var kind = form.elements.kind;
  var requester = form.elements.requester;
  function show() {
    var wanted = (needs[kind.value] || {})[requester.value] || [];
    var any = false;
    form.querySelectorAll("[data-detail]").forEach(function (box) {
      var on = wanted.indexOf(box.getAttribute("data-detail")) !== -1;
      box.hidden = !on;
      any = any || on;
    });
    form.querySelectorAll("[data-details]").forEach(function (set) {
      set.hidden = !any;
    });
  }
  kind.addEventListener("change", show);
  requester.addEventListener("change", show);
  form.querySelectorAll("[data-without-script]").forEach(function (element) {
    element.hidden = true;
  });
  show();
})();
