// Hover previews of wiki links: fetch /api/preview and show title, facets and description.
// Text only (textContent), never HTML: a note's description is data.
(function () {
  "use strict";
  var cache = {};
  var box = null;
  var timer = null;

  function popover() {
    if (!box) {
      box = document.createElement("div");
      box.className = "popover";
      box.hidden = true;
      document.body.appendChild(box);
    }
    return box;
  }

  function show(link, data) {
    var el = popover();
    el.textContent = "";
    var title = document.createElement("strong");
    title.textContent = data.title;
    el.appendChild(title);
    var facets = [data.kind, data.domain, data.confidence].filter(Boolean).join(" · ");
    if (facets) {
      var meta = document.createElement("div");
      meta.className = "dim";
      meta.textContent = facets;
      el.appendChild(meta);
    }
    if (data.description) {
      var text = document.createElement("div");
      text.textContent = data.description;
      el.appendChild(text);
    }
    var rect = link.getBoundingClientRect();
    el.style.left = Math.max(8, rect.left + window.scrollX) + "px";
    el.style.top = rect.bottom + window.scrollY + 6 + "px";
    el.hidden = false;
  }

  function hide() {
    clearTimeout(timer);
    if (box) box.hidden = true;
  }

  document.addEventListener("mouseover", function (event) {
    var link = event.target.closest && event.target.closest("a.wikilink[data-path]");
    if (!link) return;
    if (link.title) { link.dataset.title = link.title; link.removeAttribute("title"); }
    var path = link.dataset.path;
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (cache[path]) { show(link, cache[path]); return; }
      fetch("/api/preview?path=" + encodeURIComponent(path))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { cache[path] = data; show(link, data); } })
        .catch(function () {});
    }, 150);
  });
  document.addEventListener("mouseout", function (event) {
    if (event.target.closest && event.target.closest("a.wikilink")) hide();
  });
})();
