/* Draw every chart on the page: <div class="chart" data-option="ID"> + a json_script with id ID.
   Options are built on the server, so the page and the API show the same numbers. A map adds
   data-map="NAME" data-geojson="ID2": the GeoJSON in json_script ID2 is registered as NAME
   first. Charts inside a part that htmx replaces are disposed before it goes. */
(function () {
  "use strict";
  var charts = [];
  function draw(root) {
    (root || document).querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.option);
      if (!source || typeof echarts === "undefined") { return; }
      var option = JSON.parse(source.textContent);
      if (el.dataset.map && el.dataset.geojson) {
        var geo = document.getElementById(el.dataset.geojson);
        if (!geo) { return; }
        echarts.registerMap(el.dataset.map, JSON.parse(geo.textContent));
      }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      charts.push(chart);
    });
  }
  function dispose(root) {
    charts = charts.filter(function (chart) {
      var el = chart.getDom();
      if (root.contains(el)) { chart.dispose(); return false; }
      return true;
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (!e.detail.shouldSwap || !target) { return; }
    // data-swap-changed: a polled part is swapped only when its answer changed (a browser
    // answers a revalidated ETag from its cache with the same text, and a redrawn map flickers)
    if (target.hasAttribute("data-swap-changed")) {
      if (target.kaoheLast === e.detail.serverResponse) { e.detail.shouldSwap = false; return; }
      target.kaoheLast = e.detail.serverResponse;
    }
    dispose(target);
  });
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
