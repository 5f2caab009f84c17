// Keeps a job's page current while the job works: reads the page again every few seconds and puts
// what changed in place, without reloading it under the reader. The status line is a live region
// that stays in the page, so its new words are read out; the rest (failures, links, the retry
// button) is left alone while the reader is using it.
(function () {
  var live = document.getElementById("job-live");
  if (!live || !live.getAttribute("data-poll")) return;
  var url = live.getAttribute("data-poll");
  var timer = setInterval(poll, 3000);

  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var next = fresh.getElementById("job-live");
        if (!next) return;
        var bar = document.getElementById("job-bar"), nextBar = fresh.getElementById("job-bar");
        bar.max = nextBar.max;
        bar.value = nextBar.value;
        bar.textContent = nextBar.textContent;
        var status = document.getElementById("job-status"), nextStatus = fresh.getElementById("job-status");
        if (status.textContent !== nextStatus.textContent) status.textContent = nextStatus.textContent;
        var rest = document.getElementById("job-rest"), nextRest = fresh.getElementById("job-rest");
        if (rest.innerHTML !== nextRest.innerHTML && !rest.contains(document.activeElement)) {
          rest.innerHTML = nextRest.innerHTML;
        }
        if (!next.getAttribute("data-poll")) {  // finished: nothing more will change
          clearInterval(timer);
          live.removeAttribute("data-poll");
          rest.innerHTML = nextRest.innerHTML;
        }
      })
      .catch(function () {});  // a missed turn (the network, a restart): the next one tries again
  }
})();
