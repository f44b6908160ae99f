// Survey builder: drag a question to reorder (also across pages). The 上へ/下へ buttons are the
// keyboard path; this only adds the mouse/touch one. The new order is posted as JSON with the
// CSRF token of the page's forms; a refusal is shown and the page reloaded.
(function () {
  "use strict";
  var root = document.getElementById("builder");
  if (!root) return;
  var status = document.getElementById("builder-status");
  var dragged = null;
  function token() {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function order() {
    return Array.prototype.map.call(root.querySelectorAll("ol.builder-questions"), function (ol) {
      return {
        page: Number(ol.dataset.page),
        questions: Array.prototype.map.call(ol.querySelectorAll("li[data-question]"), function (li) {
          return Number(li.dataset.question);
        }),
      };
    });
  }
  function save() {
    fetch(root.dataset.reorderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
      body: JSON.stringify({ order: order() }),
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) status.textContent = body.error || "";
        window.location.reload();
      });
    });
  }
  root.addEventListener("dragstart", function (e) {
    var li = e.target.closest && e.target.closest("li[data-question]");
    if (!li) return;
    dragged = li;
    li.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", li.dataset.question);
  });
  root.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
  });
  root.addEventListener("dragover", function (e) {
    if (!dragged) return;
    var ol = e.target.closest && e.target.closest("ol.builder-questions");
    if (!ol) return;
    e.preventDefault();
    var over = e.target.closest("li[data-question]");
    if (over && over !== dragged) {
      var box = over.getBoundingClientRect();
      var after = e.clientY > box.top + box.height / 2;
      ol.insertBefore(dragged, after ? over.nextSibling : over);
    } else if (!over) {
      ol.appendChild(dragged);
    }
  });
  root.addEventListener("drop", function (e) {
    if (!dragged) return;
    e.preventDefault();
    dragged = null;
    save();
  });
})();
