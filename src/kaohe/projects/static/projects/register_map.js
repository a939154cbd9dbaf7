/* The key projects map: clicking a project's point opens its page (the point's data carries
   its url). Runs after kaohe.js has drawn the charts. */
(function () {
  "use strict";
  window.addEventListener("load", function () {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll(".chart[data-links]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (!chart) { return; }
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.href = params.data.url; }
      });
    });
  });
})();
