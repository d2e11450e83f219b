// Places each face box over its picture from the face's pixel box (data-x/y/w/h of data-width x data-height).
// Positions are set through the CSSOM, which the Content-Security-Policy allows (inline styles are not).
(function () {
  "use strict";
  function place(box) {
    var width = Number(box.dataset.width), height = Number(box.dataset.height);
    if (!width || !height) { return; }
    box.style.left = (100 * Number(box.dataset.x) / width) + "%";
    box.style.top = (100 * Number(box.dataset.y) / height) + "%";
    box.style.width = (100 * Number(box.dataset.w) / width) + "%";
    box.style.height = (100 * Number(box.dataset.h) / height) + "%";
    box.hidden = false;
  }
  document.querySelectorAll(".facebox").forEach(place);
})();
