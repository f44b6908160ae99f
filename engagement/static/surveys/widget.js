/* Engagement NPS widget: put on the host page (served by the platform itself, no CDN)
     <script src="https://ENGAGE/static/surveys/widget.js" async
             data-widget="TOKEN" data-customer="C-001" data-ts="1700000000"
             data-sig="HEX HMAC-SHA256(secret, 'C-001.1700000000')" data-target="nps"></script>
   It adds an iframe with the NPS question and its follow-up (after the script, or inside the
   element whose id is data-target) and resizes it to its content. Sign on your server, never
   in the browser: the secret must not reach the page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.widget) { return; }
  var origin = new URL(script.src).origin;
  var data = script.dataset;
  var query = new URLSearchParams();
  if (data.customer) {
    query.set("customer", data.customer);
    query.set("ts", data.ts || "");
    query.set("sig", data.sig || "");
  }
  var frame = document.createElement("iframe");
  var qs = query.toString();
  frame.src = origin + "/w/" + encodeURIComponent(data.widget) + "/" + (qs ? "?" + qs : "");
  frame.title = data.title || "アンケート";
  frame.setAttribute("loading", "lazy");
  frame.style.width = "100%";
  frame.style.maxWidth = "560px";
  frame.style.height = "320px";
  frame.style.border = "0";
  var target = data.target && document.getElementById(data.target);
  if (target) { target.appendChild(frame); } else { script.parentNode.insertBefore(frame, script.nextSibling); }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) { return; }
    var message = event.data || {};
    if (message.type === "engagement-widget:height" && message.height > 0 && message.height < 4000) {
      frame.style.height = message.height + "px";
    }
  });
})();
