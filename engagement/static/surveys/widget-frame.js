/* Inside the widget's iframe: tell the host page how tall the content is (widget.js resizes). */
(function () {
  "use strict";
  function report() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ type: "engagement-widget:height", height: height }, "*");
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  document.addEventListener("change", report);
})();
