// On narrow screens the main menu folds behind a "Menu" button. Without JavaScript the
// menu simply stays open, so nothing depends on this script.
(function () {
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  var narrow = window.matchMedia("(max-width: 40rem)");
  function apply() {
    var open = button.getAttribute("aria-expanded") === "true";
    button.hidden = !narrow.matches;
    nav.classList.toggle("nav-folded", narrow.matches && !open);
  }
  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
    apply();
  });
  narrow.addEventListener("change", apply);
  apply();
})();
