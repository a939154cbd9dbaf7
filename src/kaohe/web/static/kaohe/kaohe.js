/* Draw every chart on the page: <div class="chart" data-option="ID"> + a json_script with id ID.
   Options are built on the server, so the page and the API show the same numbers. */
(function () {
  "use strict";
  var charts = [];
  function draw(root) {
    (root || document).querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.option);
      if (!source || typeof echarts === "undefined") { return; }
      var option = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      charts.push(chart);
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();

/* Behaviour the templates ask for with data attributes (the Content-Security-Policy allows no
   inline script): <select data-autosubmit> submits its form on change; <form data-progress="ID">
   moves the <progress id="ID"> bar while htmx uploads the form. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  function bar(form) { return document.getElementById(form.dataset.progress); }
  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest && e.target.closest("form[data-progress]");
    if (form && e.detail.lengthComputable) {
      bar(form).value = Math.round(e.detail.loaded / e.detail.total * 100);
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target.closest && e.target.closest("form[data-progress]");
    if (form) { bar(form).value = 100; }
  });
})();
