// Places each face box over its picture from the face's pixel box (data-x/y/w/h of data-width x data-height).
// Positions are set through the CSSOM, which the Content-Security-Policy allows (inline styles are not).
(function () {
  "use strict";
  function place(box) {
    var width = Number(box.dataset.width), height = Number(box.dataset.height);
    if (!width || !height) { return; }
    // Kept inside the picture even if a box runs past its edge (the server clips them too).
    var x = Math.min(Math.max(0, Number(box.dataset.x)), width);
    var y = Math.min(Math.max(0, Number(box.dataset.y)), height);
    var w = Math.max(0, Math.min(Number(box.dataset.x) + Number(box.dataset.w), width) - x);
    var h = Math.max(0, Math.min(Number(box.dataset.y) + Number(box.dataset.h), height) - y);
    box.style.left = (100 * x / width) + "%";
    box.style.top = (100 * y / height) + "%";
    box.style.width = (100 * w / width) + "%";
    box.style.height = (100 * h / height) + "%";
    // The label sits above the box, reaching right; near the right or top edge it reaches the other way,
    // so it stays over the picture and never widens a narrow page.
    box.classList.toggle("label-end", x + w / 2 > width / 2);
    box.classList.toggle("label-below", y < height / 10);
    box.hidden = false;
  }
  document.querySelectorAll(".facebox").forEach(place);
})();
