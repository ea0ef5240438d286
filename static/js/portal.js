// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Move focus to a form's error summary so that screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
