// Keeps the trainer's check-in code current: asks for the code when the minute turns.
(function () {
  var box = document.querySelector("[data-refresh]");
  if (!box) return;
  var digits = document.getElementById("code-digits");
  var qr = document.getElementById("code-qr");
  var seconds = document.getElementById("code-seconds");
  var left = parseInt(seconds.textContent, 10) || 60;
  function refresh() {
    fetch(box.getAttribute("data-refresh"), {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.code) { window.location.reload(); return; }
        digits.textContent = data.code.slice(0, 3) + " " + data.code.slice(3);
        qr.innerHTML = data.qr;
        left = data.seconds;
        seconds.textContent = left;
      })
      .catch(function () { left = 3; });
  }
  setInterval(function () {
    left -= 1;
    if (left <= 0) { refresh(); } else { seconds.textContent = left; }
  }, 1000);
})();
