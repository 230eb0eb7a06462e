// Shared by every page: local times and a polite poller. Data are UTC; people read local time.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var formats = {
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    datetime: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  };

  function localise(root) {
    (root || document).querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.textContent = new Intl.DateTimeFormat(lang, formats[el.dataset.local] || formats.datetime).format(at);
      el.title = at.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    });
  }

  // Calls fn every `ms` while the tab is visible; a hidden tab costs the server nothing, and
  // coming back refreshes at once if the data went stale meanwhile.
  function poll(fn, ms) {
    var last = Date.now();
    function tick() {
      if (document.visibilityState === "visible") { last = Date.now(); fn(); }
    }
    setInterval(tick, ms);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && Date.now() - last >= ms) tick();
    });
  }

  var language = document.getElementById("lang-select");
  if (language) language.addEventListener("change", function () { language.form.submit(); });
  localise(document);
  window.opendown = { localise: localise, poll: poll, lang: lang };
})();
