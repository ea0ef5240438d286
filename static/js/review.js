// The weighted total of the scoring sheet while the reviewer scores. The portal computes
// every figure again on saving; this only spares a round trip.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  var lang = document.documentElement.lang || "ru";
  var points = new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU",
    { maximumFractionDigits: 2 });

  // Weights come in hundredths of a point (data-weight), so the sums are whole numbers.
  function show(hundredths) {
    return points.format(hundredths / 100);
  }
  function update() {
    var total = 0;
    form.querySelectorAll("input[data-weight]").forEach(function (input) {
      var out = form.querySelector("[data-weighted-for='" + input.id + "']");
      var text = input.value.trim();
      var max = Number(input.getAttribute("data-scale-max"));
      if (!/^\d+$/.test(text) || Number(text) > max) {
        if (out) { out.textContent = "\u2014"; }
        return;
      }
      var weighted = Number(text) * Number(input.getAttribute("data-weight"));
      total += weighted;
      if (out) { out.textContent = show(weighted); }
    });
    form.querySelector("[data-review-total]").textContent = show(total);
  }
  form.addEventListener("input", update);
  update();
})();
