// medcards web: reveal answers, rating keys 1-4, one submit per card, background-job progress.
"use strict";
(function () {
  function $(sel) { return document.querySelector(sel); }
  function showRating(suggested) {
    var form = $("#rating");
    if (!form) return;
    form.hidden = false;
    document.querySelectorAll(".rate").forEach(function (b) { b.classList.remove("suggested"); });
    var pick = $("#rate-" + suggested);
    if (pick) { pick.classList.add("suggested"); pick.focus(); }
  }
  // MCQ: the student chooses an option; the server checks it and only then sends the key,
  // the explanation and the evidence (the page itself does not carry the answer).
  var options = $("#options");
  if (options) {
    options.addEventListener("click", function (ev) {
      var button = ev.target.closest(".option");
      if (!button || options.classList.contains("answered") || options.classList.contains("busy")) return;
      var chosen = parseInt(button.getAttribute("data-index"), 10);
      var card = $("#card");
      var body = new FormData();
      body.append("csrf", $("#rating input[name=csrf]").value);
      body.append("card_id", card.getAttribute("data-card-id"));
      body.append("chosen", String(chosen));
      options.classList.add("busy");
      fetch("/study/answer", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          options.classList.remove("busy");
          options.classList.add("answered");
          options.querySelectorAll(".option").forEach(function (b) {
            var i = parseInt(b.getAttribute("data-index"), 10);
            b.disabled = true;
            if (i === data.answer) b.classList.add("correct");
            if (i === chosen && i !== data.answer) b.classList.add("wrong");
          });
          button.classList.add("chosen");
          var answer = $("#answer");
          answer.innerHTML = data.html;  // rendered and escaped by the server's templates
          answer.hidden = false;
          showRating(data.correct ? 3 : 1);
        })
        .catch(function (err) {
          options.classList.remove("busy");
          var answer = $("#answer");
          answer.textContent = "No se pudo comprobar la respuesta (" + err.message +
            "): recarga la página e inténtalo de nuevo.";
          answer.hidden = false;
        });
    });
  }
  // Open recall: type, reveal the key points, tick what you had.
  var reveal = $("#reveal");
  if (reveal) {
    reveal.addEventListener("click", function () {
      $("#answer").hidden = false;
      reveal.disabled = true;
      suggest();
    });
    document.querySelectorAll(".key-point").forEach(function (box) {
      box.addEventListener("change", suggest);
    });
  }
  function suggest() {
    var boxes = document.querySelectorAll(".key-point");
    var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    var share = boxes.length ? ticked / boxes.length : 0;
    var rating = share === 0 ? 1 : share < 0.5 ? 2 : share < 1 ? 3 : 4;
    var s = $("#suggestion");
    if (s) s.textContent = ticked + " de " + boxes.length + " puntos clave";
    showRating(rating);
  }
  // Keys 1-4 rate once the answer is shown (not while typing).
  document.addEventListener("keydown", function (ev) {
    var form = $("#rating");
    if (!form || form.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "input") return;
    if (["1", "2", "3", "4"].indexOf(ev.key) >= 0) {
      ev.preventDefault();
      var b = $("#rate-" + ev.key);
      if (b && !b.disabled) b.click();
    }
  });
  var rating = $("#rating");
  if (rating) {
    rating.addEventListener("submit", function (ev) {
      var chosen = ev.submitter;
      if (rating.classList.contains("sent")) { ev.preventDefault(); return; }
      rating.classList.add("sent");
      if (chosen) {
        var keep = document.createElement("input");
        keep.type = "hidden"; keep.name = chosen.name; keep.value = chosen.value;
        rating.appendChild(keep);
      }
      setTimeout(function () {
        rating.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }
  // Background jobs: poll until done.
  var job = $("#job");
  if (job && job.getAttribute("data-state") === "running") {
    var id = job.getAttribute("data-job");
    var timer = setInterval(function () {
      fetch("/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var bar = $("#job-progress");
          if (bar) { bar.max = data.total || 1; bar.value = data.done; }
          var count = $("#job-count");
          if (count) count.textContent = data.done + "/" + data.total;
          var msg = $("#job-message");
          if (msg) { msg.textContent = data.message; msg.className = "state-" + data.state; }
          job.setAttribute("data-state", data.state);
          if (data.state !== "running") clearInterval(timer);
        })
        .catch(function () { clearInterval(timer); });
    }, 300);
  }
})();
