/* Buttons marked data-print print the page (instead of an inline onclick, which the
   Content-Security-Policy of the staff pages does not allow). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
