// Live totals on the budget form while the applicant types. The portal recomputes every
// figure on saving; this only spares a round trip.
(function () {
  "use strict";
  var form = document.getElementById("budget-form");
  if (!form) { return; }
  var lang = document.documentElement.lang || "ru";
  var money = new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU",
    { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU",
    { maximumFractionDigits: 2 });

  // Amounts in whole kopecks, so that sums are exact.
  function parse(text, places) {
    var t = (text || "").replace(/[\s\u00a0\u202f']/g, "");
    t = t.indexOf(".") >= 0 ? t.replace(/,/g, "") : t.replace(",", ".");
    if (!/^\d+(\.\d+)?$/.test(t)) { return null; }
    var parts = t.split(".");
    var frac = (parts[1] || "").padEnd(places, "0");
    if (frac.length > places) { return null; }
    return BigInt(parts[0] + frac);
  }
  function field(line, name) {
    return line.querySelector("[name$='-" + name + "']");
  }
  function show(kopecks) {
    return money.format(Number(kopecks) / 100) + "\u00a0\u20bd";
  }
  function update() {
    var total = 0n, requested = 0n, cofinancing = 0n;
    form.querySelectorAll("[data-budget-line]").forEach(function (line) {
      var qty = parse(field(line, "quantity").value, 3);
      var price = parse(field(line, "unit_price").value, 2);
      var out = line.querySelector("[data-line-total]");
      if (qty === null || price === null) { out.textContent = ""; return; }
      // quantity (thousandths) x price (kopecks), rounded half up to kopecks
      var lineTotal = (qty * price + 500n) / 1000n;
      out.textContent = show(lineTotal);
      total += lineTotal;
      requested += parse(field(line, "requested_amount").value, 2) || 0n;
      cofinancing += (parse(field(line, "own_amount").value, 2) || 0n) +
        (parse(field(line, "partner_amount").value, 2) || 0n);
    });
    form.querySelector("[data-total]").textContent = show(total);
    form.querySelector("[data-requested]").textContent = show(requested);
    var share = total > 0n ? Number(cofinancing * 10000n / total) / 100 : 0;
    form.querySelector("[data-cofinancing]").textContent = percent.format(share) + "\u00a0%";
  }
  form.addEventListener("input", update);
})();
