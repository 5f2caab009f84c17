// On the attendance roster, Enter in the signature field confirms attendance (the button beside
// it) instead of only saving the marks (the form's first button). Without JavaScript Enter saves
// the marks, and the trainer confirms with the button: nothing depends on this script.
(function () {
  var field = document.querySelector("[data-enter-presses]");
  var button = field && document.getElementById(field.getAttribute("data-enter-presses"));
  if (!button) return;
  field.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      button.click();
    }
  });
})();
