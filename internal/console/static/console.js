// Ferry console: keeps an open page current by fetching it again every few
// seconds and swapping in the new <main>, unless the reader is typing in a
// form. No inline script, no eval: the Content-Security-Policy forbids both.
(function () {
  "use strict";
  var ms = parseInt(document.body.getAttribute("data-poll-ms"), 10) || 5000;
  var live = document.getElementById("live");
  function busy() {
    var a = document.activeElement;
    return document.hidden || (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) ||
      document.querySelector("main form[method=post]") !== null;
  }
  function refresh() {
    if (busy()) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("main"), cur = document.getElementById("main");
        if (next && cur && next.innerHTML !== cur.innerHTML && !busy()) { cur.innerHTML = next.innerHTML; }
        if (live) { live.textContent = "live: updated " + new Date().toLocaleTimeString(); }
      })
      .catch(function () { if (live) { live.textContent = "live: could not refresh; retrying"; } });
  }
  window.setInterval(refresh, ms);
})();
