// Keeps "My uploads" current: polls the small JSON list and rewrites each card's status in place.
(function () {
  "use strict";
  var list = document.getElementById("my-uploads");
  if (!list || !window.fetch) { return; }
  var EVERY_MS = 10000;
  function capitalise(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }
  function apply(data) {
    var known = {};
    list.querySelectorAll("[data-id]").forEach(function (card) { known[card.getAttribute("data-id")] = card; });
    var unseen = false;
    data.uploads.forEach(function (upload) {
      var card = known[upload.id];
      if (!card) { unseen = true; return; }
      var status = card.querySelector(".upload-status");
      var words = capitalise(upload.status);
      if (status && status.textContent !== words) { status.textContent = words; }
    });
    var note = document.getElementById("uploads-new");
    if (note) { note.hidden = !unseen; }
  }
  function poll() {
    if (document.hidden) { return; }
    fetch(list.getAttribute("data-poll"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(poll, EVERY_MS);
  document.addEventListener("visibilitychange", poll);
}());
