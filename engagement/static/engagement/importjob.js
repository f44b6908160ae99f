/* Import job page: polls the job's progress until it is done or failed (no inline script:
   the admin runs under a Content-Security-Policy without 'unsafe-inline'). */
(function () {
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  document.getElementById("import-bar").style.width = "24em";
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      document.getElementById("import-bar").value = data.percent;
      document.getElementById("import-text").textContent = data.percent + "% (" + data.rows_done + " / " + data.rows_total + ")";
      if (data.status === "done" || data.status === "failed") {
        // Finished since this page was drawn: reload once to show the counts and errors.
        if (data.status !== box.dataset.status) { location.reload(); }
        return;
      }
      window.setTimeout(poll, 1500);
    });
  }
  poll();
})();
