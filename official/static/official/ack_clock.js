// The acknowledgement clock runs on: minutes since the crowd saw a live incident, advanced
// every 20 s from the incident's start (the page itself may be a cached copy).
(function () {
  if (window.opendownAckClock) return;
  window.opendownAckClock = true;
  function tick() {
    document.querySelectorAll(".ack-clock[data-live]").forEach(function (clock) {
      var started = Date.parse(clock.getAttribute("data-started"));
      var minutes = clock.querySelector("[data-clock-minutes]");
      if (!minutes || isNaN(started)) return;
      var now = Math.max(0, Math.round((Date.now() - started) / 60000));
      if (now > parseInt(minutes.textContent, 10)) minutes.textContent = String(now);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  setInterval(tick, 20000);
})();
