// Uploads each chosen file in chunks, one file after another, with a progress bar and a plain answer per file.
// A chunk that fails on flaky Wi-Fi is sent again after a pause; after a dropped connection the server says
// which chunks it already has, and the upload carries on from there.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.Promise || !window.Blob || !Blob.prototype.slice) { return; }
  var list = document.getElementById("upload-list");
  var limit = Number(form.dataset.limit) || Infinity;
  var startUrl = form.dataset.start;
  var token = form.querySelector("input[name=csrf_token]").value;
  var waiting = [];
  var busy = false;
  var RETRIES = 8;            // attempts per chunk before giving up (about four minutes of trying)
  var LONGEST_PAUSE = 30000;  // ms between attempts, at most
  var CHUNK_TIMEOUT = 120000; // ms one chunk may take on a slow connection

  var SIGNED_OUT = "You were signed out — sign in again, then choose the file again.";
  var CONNECTION_LOST = "The connection was lost and did not come back; nothing was kept. Please try again.";
  var TOO_LARGE = "Not accepted: the file is larger than this service accepts.";

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
    return { bar: bar, state: state, said: -1 };
  }

  function say(view, text) { view.state.textContent = text; }

  function finish(view, ok, message) {
    say(view, message);
    view.state.className = ok ? "state-received" : "state-refused";
    if (ok) { view.bar.value = 100; } else { view.bar.remove(); }
  }

  function showProgress(view, sent, total) {
    var percent = total ? Math.floor(100 * sent / total) : 100;
    view.bar.value = percent;
    // The list is a live region: announce every tenth, not every byte.
    var step = Math.floor(percent / 10);
    if (step !== view.said) {
      view.said = step;
      say(view, percent < 100 ? "Sending… " + percent + "%" : "Sent; checking the file…");
    }
  }

  // The caption and who is in it, sent with every file chosen with them (a suggestion for the Manager).
  function details() {
    var caption = form.querySelector("[name=caption]");
    var people = [];
    form.querySelectorAll("input[name=person]:checked").forEach(function (box) { people.push(box.value); });
    return { caption: caption ? caption.value : "", people: people };
  }

  // Signed out (in another tab, or the session ended): say so, with a link back to the sign-in page.
  function askToSignIn(view) {
    finish(view, false, SIGNED_OUT + " ");
    if (form.dataset.signin) {
      var link = document.createElement("a");
      link.href = form.dataset.signin;
      link.textContent = "Sign in again";
      view.state.append(link);
    }
  }

  // A failed request: why, and whether trying again may help.
  function Failure(kind, message, status) { this.kind = kind; this.message = message; this.status = status; }

  function signedOut(xhr) {
    var url = xhr.responseURL || "";
    var type = xhr.getResponseHeader("Content-Type") || "";
    // The sign-in page (after a redirect) or any HTML page where JSON was asked for.
    // The service answers a signed-out JSON request with 401.
    return xhr.status === 401 || /\/signin(\?|$)/.test(url.replace(/^https?:\/\/[^/]+/, "").split("#")[0]) ||
      (xhr.status >= 200 && xhr.status < 300 && type.indexOf("application/json") === -1 && xhr.status !== 204);
  }

  function request(method, url, body, type, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", token);
      if (type) { xhr.setRequestHeader("Content-Type", type); }
      xhr.timeout = CHUNK_TIMEOUT;
      if (onProgress && xhr.upload) {
        xhr.upload.addEventListener("progress", function (event) { onProgress(event.loaded); });
      }
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (signedOut(xhr)) { reject(new Failure("signed-out", SIGNED_OUT, xhr.status)); return; }
        if (xhr.status >= 200 && xhr.status < 300) { resolve(answer || {}); return; }
        var message = answer && (answer.message || answer.error);
        if (xhr.status === 502 || xhr.status === 503 || xhr.status === 504 || xhr.status === 0) {
          reject(new Failure("retry", message, xhr.status));
        } else {
          reject(new Failure("refused", message, xhr.status));
        }
      });
      function lost() { reject(new Failure("retry", null, 0)); }
      xhr.addEventListener("error", lost);
      xhr.addEventListener("timeout", lost);
      xhr.addEventListener("abort", lost);
      xhr.send(body);
    });
  }

  function pause(attempt) {
    var ms = Math.min(LONGEST_PAUSE, 1000 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // Try a request again on a lost connection or a busy server, with growing pauses; before each new
  // try, resync() (if given) asks the server what it already has.
  function withRetries(view, attempt, make, resync) {
    return make().catch(function (failure) {
      if (failure.kind !== "retry" || attempt + 1 >= RETRIES) { throw failure; }
      say(view, "The connection dropped; trying again…");
      view.said = -1;
      return pause(attempt).then(function () {
        return resync ? resync().catch(function () { return null; }) : null;
      }).then(function () { return withRetries(view, attempt + 1, make, resync); });
    });
  }

  function sendFile(job) {
    var file = job.file, view = job.view;
    var upload = null, have = {};

    function sentBytes() {
      var total = 0;
      Object.keys(have).forEach(function (i) { total += chunkLength(Number(i)); });
      return total;
    }
    function chunkLength(i) { return Math.min(upload.chunk_bytes, file.size - i * upload.chunk_bytes); }
    function learn(answer) {
      if (answer && answer.received) {
        have = {};
        answer.received.forEach(function (i) { have[i] = true; });
      }
      return answer;
    }
    function resync() {
      return request("GET", startUrl.replace(/start$/, upload.id)).then(learn);
    }
    function nextMissing() {
      var count = Math.max(1, Math.ceil(file.size / upload.chunk_bytes));
      for (var i = 0; i < count; i += 1) { if (!have[i]) { return i; } }
      return -1;
    }
    function sendChunks() {
      var index = nextMissing();
      if (index < 0) { return Promise.resolve(); }
      var offset = index * upload.chunk_bytes;
      var piece = file.slice(offset, offset + chunkLength(index));
      var before = sentBytes();
      return withRetries(view, 0, function () {
        return request("PUT", startUrl.replace(/start$/, upload.id + "/chunks/" + index + "?offset=" + offset),
          piece, "application/octet-stream", function (loaded) { showProgress(view, before + loaded, file.size); });
      }, resync).then(function (answer) {
        learn(answer);
        have[index] = true;
        showProgress(view, sentBytes(), file.size);
        return sendChunks();
      });
    }
    function complete(tries) {
      return withRetries(view, 0, function () {
        return request("POST", startUrl.replace(/start$/, upload.id + "/finish"), JSON.stringify(details()),
          "application/json");
      }).catch(function (failure) {
        // A chunk went missing or was damaged in storage: send what the server lacks, then finish again.
        if (failure.status === 409 && tries < 3) {
          return resync().then(sendChunks).then(function () { return complete(tries + 1); });
        }
        throw failure;
      });
    }
    function cancel() {
      if (upload) { request("DELETE", startUrl.replace(/start$/, upload.id)).catch(function () { return null; }); }
    }

    say(view, "Sending…");
    return withRetries(view, 0, function () {
      var about = details();
      about.name = file.name;
      about.size = file.size;
      about.type = file.type || "";
      return request("POST", startUrl, JSON.stringify(about), "application/json");
    }).then(function (answer) {
      upload = answer;
      learn(answer);
      return sendChunks();
    }).then(function () {
      say(view, "Sent; checking the file…");
      return complete(0);
    }).then(function (answer) {
      finish(view, Boolean(answer.ok), answer.message || "Received.");
    }).catch(function (failure) {
      if (!(failure instanceof Failure)) { failure = new Failure("refused", null, 0); }
      if (failure.kind === "signed-out") {
        askToSignIn(view);
        // Nothing else can go through until the person signs in again.
        waiting.splice(0).forEach(function (other) { finish(other.view, false, SIGNED_OUT); });
        return;
      }
      cancel();
      if (failure.kind === "retry") {
        finish(view, false, failure.message || CONNECTION_LOST);
      } else if (failure.status === 413) {
        finish(view, false, TOO_LARGE);
      } else if (failure.status === 404 && upload) {
        finish(view, false, "This upload was stopped or expired on the server; nothing was kept. Please choose the file again.");
      } else if (failure.message) {
        finish(view, false, /^Not accepted|^The file could not|^You /.test(failure.message) ? failure.message
          : "Not accepted: " + failure.message);
      } else {
        finish(view, false, "Something went wrong (" + failure.status + "); nothing was kept. Please try again.");
      }
    });
  }

  function next() {
    var job = waiting.shift();
    if (!job) { busy = false; return; }
    busy = true;
    sendFile(job).then(next, next);
  }

  function chosen(event) {
    Array.prototype.forEach.call(event.target.files, function (file) {
      var view = row(file);
      if (file.size > limit) {
        finish(view, false, TOO_LARGE);
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
