// The upload progress bar of the import pages: htmx reports the bytes sent
// of a multipart post (hx-encoding="multipart/form-data") as htmx:xhr:progress.
// A file, not inline code: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function barOf(event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    return form ? form.querySelector("progress[data-upload-progress]") : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var bar = barOf(event);
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = barOf(event);
    var detail = event.detail || {};
    if (bar && detail.lengthComputable && detail.total > 0) {
      bar.value = Math.round((detail.loaded / detail.total) * 100);
    }
  });

  // Sent: the server is now reading the workbook; an indeterminate bar says so.
  document.addEventListener("htmx:xhr:loadend", function (event) {
    var bar = barOf(event);
    if (bar) {
      bar.removeAttribute("value");
    }
  });
})();
