/* feedpost site: relative dates and a title search over search.json. No framework. */
(function () {
  "use strict";
  // Opened from disk (file://), a link to a folder shows the folder, not
  // its index.html, which a web server would serve: point the site's own
  // links at the file.
  if (location.protocol === "file:") {
    var links = document.querySelectorAll("a[href]");
    for (var k = 0; k < links.length; k++) {
      if (links[k].protocol === "file:" && /\/$/.test(links[k].pathname)) links[k].pathname += "index.html";
    }
  }

  var lang = document.documentElement.lang || "en";
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

  // "3小时前" / "3 hours ago" from <time datetime>; the absolute date stays as the
  // text when older than 30 days, and in the title otherwise.
  function relative(ms) {
    var s = (ms - Date.now()) / 1000, a = Math.abs(s);
    if (!rtf || isNaN(s) || a > 30 * 86400) return "";
    for (var i = 0; i < units.length - 1 && a < units[i][1]; i++);
    return rtf.format(Math.round(s / units[i][1]), units[i][0]);
  }
  function dates() {
    var els = document.querySelectorAll("time.rel[datetime]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.title) el.title = el.textContent;
      var r = relative(Date.parse(el.getAttribute("datetime")));
      el.textContent = r || el.title;
    }
  }
  dates();
  setInterval(dates, 60000);

  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input"), list = form.querySelector(".results");
  var index = null, loading = null;
  function load() {
    if (!loading) {
      loading = fetch(form.getAttribute("data-index"))
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (d) { index = d; })
        .catch(function () { loading = null; });
    }
    return loading;
  }
  function hide() { list.hidden = true; }
  function show() {
    var q = input.value.trim().toLowerCase();
    if (!q) { hide(); return; }
    load().then(function () {
      if (!index || input.value.trim().toLowerCase() !== q) return;
      var words = q.split(/\s+/), hits = [];
      for (var i = 0; i < index.length && hits.length < 20; i++) {
        var t = index[i].title.toLowerCase(), ok = true;
        for (var j = 0; j < words.length && ok; j++) ok = t.indexOf(words[j]) >= 0;
        if (ok) hits.push(index[i]);
      }
      list.textContent = "";
      if (!hits.length) {
        var li = document.createElement("li");
        li.className = "none";
        li.textContent = form.getAttribute("data-empty");
        list.appendChild(li);
      }
      hits.forEach(function (p) {
        var li = document.createElement("li"), a = document.createElement("a"), m = document.createElement("small");
        a.href = p.url;
        a.textContent = p.title;
        m.textContent = p.source + " · " + p.date.slice(0, 10);
        li.appendChild(a);
        li.appendChild(m);
        list.appendChild(li);
      });
      list.hidden = false;
    });
  }
  input.addEventListener("focus", load);
  input.addEventListener("input", show);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var a = list.querySelector("a");
    if (a && !list.hidden) location.href = a.href; else show();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") hide();
    else if (e.key === "/" && document.activeElement !== input) { e.preventDefault(); input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) hide(); });
})();
