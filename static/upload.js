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

  var SIGNED_OUT = "You were signed out — sign in again, then send the file again.";

  // Signed out in another tab: the service answers 401, or (through a proxy or an old server) the
  // request is redirected to the sign-in page and comes back as HTML with status 200.
  function signedOut(xhr, answer) {
    if (xhr.status === 401 || (answer && answer.signed_out)) { return true; }
    var url = xhr.responseURL || "";
    var signin = form.dataset.signin.split("?")[0];
    return answer === null && xhr.status === 200 && (url.split("?")[0].slice(-signin.length) === signin ||
      /^text\/html/.test(xhr.getResponseHeader("Content-Type") || ""));
  }

  function askToSignIn(view) {
    finish(view, false, SIGNED_OUT + " ");
    var link = document.createElement("a");
    link.href = form.dataset.signin;
    link.textContent = "Sign in again";
    view.state.append(link);
  }

  function send(job) {
    busy = true;
    var view = job.view;
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("file", job.file, job.file.name);
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
      if (signedOut(xhr, answer)) {
        askToSignIn(view);
        waiting.forEach(function (job) { finish(job.view, false, SIGNED_OUT); });
        waiting = [];
      } else if (xhr.status === 413) {
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
