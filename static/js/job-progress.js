// Keeps a background job's progress bar current: asks the portal for the job's state every
// two seconds and, once the job has finished, opens the job's page, which offers the
// download (or says what went wrong). Without script the page has a Refresh link.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || !window.fetch || !window.JSON) {
    return;
  }
  var statusUrl = box.getAttribute("data-job-status-url");
  var pageUrl = box.getAttribute("data-job-page-url");
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  var state = document.getElementById("job-state");
  var failures = 0;

  function show(data) {
    bar.max = Math.max(data.total, 1);
    bar.value = data.done;
    bar.textContent = data.done + " / " + data.total;
    count.textContent = data.count_text;
    if (state.textContent !== data.status_text) {
      state.textContent = data.status_text;
    }
  }

  function poll() {
    fetch(statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin",
                      cache: "no-store"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.finished) {
          window.location.assign(data.page_url || pageUrl);
          return;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        // The server is restarting or the connection dropped: try again, less often.
        failures += 1;
        window.setTimeout(poll, Math.min(30000, 2000 * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, 1000);
})();
