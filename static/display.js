// The entrance slideshow: the list is asked for again every few seconds, and anything no longer in
// it is removed from the screen at once, even mid-slide. Each picture is fetched fresh (no-store).
(function () {
  "use strict";
  var body = document.body;
  var stage = document.getElementById("stage");
  var empty = document.getElementById("empty");
  var pollMs = (parseInt(body.dataset.poll, 10) || 3) * 1000;
  var slideMs = (parseInt(body.dataset.slide, 10) || 8) * 1000;
  var slides = [];
  var index = -1;
  var shownId = null;

  function clear() {
    while (stage.firstChild) { stage.removeChild(stage.firstChild); }
    shownId = null;
    empty.hidden = slides.length > 0;
  }

  function show(slide) {
    clear();
    var element;
    if (slide.kind === "video") {
      element = document.createElement("video");
      element.muted = true;
      element.autoplay = true;
      element.loop = true;
      element.playsInline = true;
    } else {
      element = document.createElement("img");
      element.alt = "";
    }
    element.className = "display-slide";
    element.dataset.id = slide.id;
    element.src = slide.url;
    stage.appendChild(element);
    shownId = slide.id;
    empty.hidden = true;
  }

  function next() {
    if (slides.length === 0) { clear(); return; }
    index = (index + 1) % slides.length;
    show(slides[index]);
  }

  function poll() {
    fetch(body.dataset.slides, {cache: "no-store", credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {slides: []}; })
      .catch(function () { return {slides: []}; })
      .then(function (data) {
        slides = data.slides || [];
        var stillAllowed = slides.some(function (s) { return s.id === shownId; });
        if (!stillAllowed) { index = -1; next(); }
      });
  }

  poll();
  setInterval(poll, pollMs);
  setInterval(next, slideMs);
})();
