// Uploads each chosen file in its own request, one after another, with a progress bar and a plain answer per file.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var list = document.getElementById("upload-list");
  var limit = Number(form.dataset.limit) || Infinity;
  var token = form.querySelector("input[name=csrf_token]").value;
  var waiting = [];
  var busy = false;

  function row(file) {
    var item = document.createElement("li");
    item.className = "card upload-row";
    var name = document.createElement("strong");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress for " + file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "Waiting…";
    item.append(name, bar, state);
    list.prepend(item);
    return { bar: bar, state: state };
  }

  function finish(view, ok, message) {
    view.state.textContent = message;
    view.state.className = ok ? "state-received" : "state-refused";
    if (ok) { view.bar.value = 100; } else { view.bar.remove(); }
  }

  function send(job) {
    busy = true;
    var view = job.view;
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("file", job.file, job.file.name);
    var caption = form.querySelector("[name=caption]");
    if (caption && caption.value) { data.append("caption", caption.value); }
    form.querySelectorAll("input[name=person]:checked").forEach(function (box) { data.append("person", box.value); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var percent = Math.round(100 * event.loaded / event.total);
        view.bar.value = percent;
        view.state.textContent = percent < 100 ? "Sending… " + percent + "%" : "Sent; checking the file…";
      }
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 413) {
        finish(view, false, "Not accepted: the file is larger than this service accepts.");
      } else if (answer && answer.message) {
        finish(view, Boolean(answer.ok), answer.message);
      } else if (answer && answer.error) {
        finish(view, false, "Not accepted: " + answer.error);
      } else {
        finish(view, false, "Something went wrong (" + xhr.status + "); nothing was kept. Please try again.");
      }
      next();
    });
    xhr.addEventListener("error", function () {
      finish(view, false, "The connection was lost; nothing was kept. Please try again.");
      next();
    });
    view.state.textContent = "Sending…";
    xhr.send(data);
  }

  function next() {
    busy = false;
    var job = waiting.shift();
    if (job) { send(job); }
  }

  function chosen(event) {
    Array.prototype.forEach.call(event.target.files, function (file) {
      var view = row(file);
      if (file.size > limit) {
        finish(view, false, "Not accepted: the file is larger than this service accepts.");
        return;
      }
      waiting.push({ file: file, view: view });
    });
    event.target.value = "";
    if (!busy) { next(); }
  }

  form.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", chosen);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
})();
