// Character counters for every text field with a maxlength (the limits of xietong/lib/limits.py).
// A static file: the Content-Security-Policy forbids inline scripts. Content swapped in by htmx
// gets its counters too (htmx:load).
(function () {
  "use strict";
  var SELECTOR = "textarea[maxlength], input[maxlength]:not([type]), input[maxlength][type=text]";

  function text(field, counter) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    var used = field.value.length;
    counter.textContent = used + " / " + max;
    counter.classList.toggle("near", used >= max * 0.9 && used <= max);
    counter.classList.toggle("over", used > max);
    // A one-line field shows its count only near the limit; a text area always.
    counter.classList.toggle("idle", field.tagName === "INPUT" && used < max * 0.8);
  }

  function attach(field) {
    if (field.dataset.counted) return;
    field.dataset.counted = "1";
    var counter = document.createElement("small");
    counter.className = "char-counter";
    counter.setAttribute("aria-live", "polite");
    if (field.id) counter.id = field.id + "-counter";
    field.insertAdjacentElement("afterend", counter);
    if (counter.id) {
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    }
    text(field, counter);
    field.addEventListener("input", function () { text(field, counter); });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches(SELECTOR)) attach(root);
    root.querySelectorAll(SELECTOR).forEach(attach);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
