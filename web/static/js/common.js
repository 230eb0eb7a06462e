// Shared by every page: local times and a polite poller. Data are UTC; people read local time.
(function () {
  "use strict";
  // Western digits in every language: the server renders counts, dates and the translated
  // texts with them, and a page must not mix two digit systems (Bengali's default is ০-৯).
  var lang = (document.documentElement.lang || "en") + "-u-nu-latn";
  var formats = {
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    hm: { hour: "2-digit", minute: "2-digit" },
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

  function number(value, digits) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits || 0 }).format(value);
  }

  // Without JavaScript times stay in UTC and the page says so; with it they are local, and
  // the sentences that name the time zone switch to their "your time zone" version.
  function jsTexts(root) {
    (root || document).querySelectorAll("[data-js-text]").forEach(function (el) {
      el.textContent = el.dataset.jsText;
    });
  }

  localise(document);
  jsTexts(document);
  window.opendown = { localise: localise, jsTexts: jsTexts, poll: poll, lang: lang, number: number };
})();
