// Running totals on the review page: how many entries and hours each decision covers, updated
// as choices change. Without JavaScript the totals are shown after each submission instead.
(function () {
  var totals = document.getElementById("review-totals");
  var table = document.getElementById("review-entries");
  if (!totals || !table) return;
  // Hours with the page language's decimal mark ("1.5 h", "1,5 h"), as the server writes them.
  var number = new Intl.NumberFormat(document.documentElement.lang || "en",
                                     { maximumFractionDigits: 2, useGrouping: false });
  function hours(minutes) {
    return number.format(minutes / 60) + " h";
  }
  // The words come from the page, in its language.
  var one = totals.getAttribute("data-entry");
  var many = totals.getAttribute("data-entries");
  function entries(count) {
    return count + " " + (count === 1 ? one : many);
  }
  function update() {
    var sums = { approve: [0, 0], "return": [0, 0] }, later = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var checked = row.querySelector("input[type=radio]:checked");
      var value = checked ? checked.value : "";
      if (sums[value]) {
        sums[value][0] += 1;
        sums[value][1] += parseInt(row.getAttribute("data-minutes"), 10);
      } else {
        later += 1;
      }
    });
    var strong = totals.querySelectorAll("strong");
    strong[0].textContent = entries(sums.approve[0]) + ", " + hours(sums.approve[1]);
    strong[1].textContent = entries(sums["return"][0]) + ", " + hours(sums["return"][1]);
    strong[2].textContent = entries(later);
  }
  table.addEventListener("change", update);
  update();
})();
