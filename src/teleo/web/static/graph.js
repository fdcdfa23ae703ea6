// The claim graph on a <canvas>: positions come precomputed from the server (/api/graph);
// this script draws, zooms (wheel), pans (drag), labels on hover, opens a node on click,
// and filters by domain. Contract for tests: #graph[data-ready=true] once drawn;
// window.teleoGraph.nodeScreenPosition(id) -> {x, y} (viewport pixels), visibleNodeCount().
(function () {
  "use strict";
  var root = document.getElementById("graph");
  if (!root) return;
  var canvas = document.getElementById("graph-canvas");
  var tip = document.getElementById("graph-tip");
  var ctx = canvas.getContext("2d");
  var nodes = [], edges = [], byId = {}, colors = {}, hidden = {};
  var view = { scale: 1, x: 0, y: 0 };  // screen = world * scale + (x, y), in CSS pixels
  var hover = null, drag = null, frame = 0;
  var LABEL_MAX = 60;

  function resize() {
    var ratio = window.devicePixelRatio || 1;
    var w = root.clientWidth, h = root.clientHeight;
    canvas.width = Math.max(1, Math.round(w * ratio));
    canvas.height = Math.max(1, Math.round(h * ratio));
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  function fit() {
    if (!nodes.length) { view = { scale: 1, x: root.clientWidth / 2, y: root.clientHeight / 2 }; return; }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    nodes.forEach(function (n) {
      minX = Math.min(minX, n.x); maxX = Math.max(maxX, n.x);
      minY = Math.min(minY, n.y); maxY = Math.max(maxY, n.y);
    });
    var w = root.clientWidth, h = root.clientHeight, pad = 30;
    var scale = Math.min((w - 2 * pad) / Math.max(maxX - minX, 1), (h - 2 * pad) / Math.max(maxY - minY, 1));
    view.scale = scale;
    view.x = w / 2 - ((minX + maxX) / 2) * scale;
    view.y = h / 2 - ((minY + maxY) / 2) * scale;
  }

  function visible(n) { return !hidden[n.domain]; }
  function sx(n) { return n.x * view.scale + view.x; }
  function sy(n) { return n.y * view.scale + view.y; }
  function radius(n) { return Math.min(9, 2.5 + Math.sqrt(n.degree)) * Math.max(0.6, Math.min(2.2, Math.sqrt(view.scale))); }

  function draw() {
    frame = 0;
    var w = root.clientWidth, h = root.clientHeight;
    ctx.clearRect(0, 0, w, h);
    ctx.lineWidth = 0.7;
    ctx.setLineDash([]);
    ctx.strokeStyle = "rgba(190, 200, 215, 0.22)";
    ctx.beginPath();
    edges.forEach(function (e) {
      if (e.type === "conflict" || !visible(e.s) || !visible(e.t)) return;
      ctx.moveTo(sx(e.s), sy(e.s)); ctx.lineTo(sx(e.t), sy(e.t));
    });
    ctx.stroke();
    ctx.strokeStyle = "rgba(231, 76, 60, 0.9)";
    ctx.lineWidth = 1.4;
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    edges.forEach(function (e) {
      if (e.type !== "conflict" || !visible(e.s) || !visible(e.t)) return;
      ctx.moveTo(sx(e.s), sy(e.s)); ctx.lineTo(sx(e.t), sy(e.t));
    });
    ctx.stroke();
    ctx.setLineDash([]);
    nodes.forEach(function (n) {
      if (!visible(n)) return;
      var x = sx(n), y = sy(n);
      if (x < -20 || y < -20 || x > w + 20 || y > h + 20) return;
      ctx.beginPath();
      ctx.arc(x, y, radius(n), 0, 2 * Math.PI);
      ctx.fillStyle = colors[n.domain] || "#999";
      ctx.fill();
      if (n.challenged) { ctx.strokeStyle = "#e74c3c"; ctx.lineWidth = 1.5; ctx.stroke(); }
    });
    drawLabels(w, h);
    if (hover && visible(hover)) {
      ctx.beginPath();
      ctx.arc(sx(hover), sy(hover), radius(hover) + 3, 0, 2 * Math.PI);
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
    }
  }

  // Titles of the nodes on screen, once zoomed in far enough that few are left to label.
  function drawLabels(w, h) {
    var shown = nodes.filter(function (n) {
      var x = sx(n), y = sy(n);
      return visible(n) && x >= 0 && y >= 0 && x <= w && y <= h;
    });
    if (shown.length > LABEL_MAX) return;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "rgba(235, 238, 245, 0.9)";
    shown.forEach(function (n) {
      var text = n.title.length > 48 ? n.title.slice(0, 47) + "…" : n.title;
      ctx.fillText(text, sx(n) + radius(n) + 3, sy(n) + 3);
    });
  }

  function redraw() { if (!frame) frame = requestAnimationFrame(draw); }

  function nodeAt(px, py) {
    var best = null, bestD = Infinity;
    nodes.forEach(function (n) {
      if (!visible(n)) return;
      var dx = sx(n) - px, dy = sy(n) - py, d = dx * dx + dy * dy, r = radius(n) + 4;
      if (d <= r * r && d < bestD) { best = n; bestD = d; }
    });
    return best;
  }

  function local(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function showTip(n, p) {
    if (!n) { tip.hidden = true; return; }
    tip.textContent = n.title + " — " + n.domain + (n.confidence ? " · " + n.confidence : "");
    tip.style.left = Math.min(p.x + 14, root.clientWidth - 200) + "px";
    tip.style.top = p.y + 14 + "px";
    tip.hidden = false;
  }

  canvas.addEventListener("mousedown", function (event) {
    var p = local(event);
    drag = { x: p.x, y: p.y, vx: view.x, vy: view.y, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (event) {
    var p = local(event);
    if (drag) {
      var dx = p.x - drag.x, dy = p.y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      view.x = drag.vx + dx; view.y = drag.vy + dy;
      redraw();
      return;
    }
    if (event.target !== canvas) return;
    var n = nodeAt(p.x, p.y);
    if (n !== hover) { hover = n; redraw(); }
    canvas.style.cursor = n ? "pointer" : "grab";
    showTip(n, p);
  });
  window.addEventListener("mouseup", function (event) {
    if (!drag) return;
    var moved = drag.moved;
    drag = null;
    canvas.classList.remove("dragging");
    if (!moved && event.target === canvas) {
      var p = local(event), n = nodeAt(p.x, p.y);
      if (n) window.location.href = n.href;
    }
  });
  canvas.addEventListener("mouseleave", function () { hover = null; tip.hidden = true; redraw(); });
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = local(event);
    var factor = Math.exp(-event.deltaY * 0.0015);
    var scale = Math.max(0.02, Math.min(80, view.scale * factor));
    factor = scale / view.scale;
    view.x = p.x - (p.x - view.x) * factor;
    view.y = p.y - (p.y - view.y) * factor;
    view.scale = scale;
    redraw();
  }, { passive: false });

  document.querySelectorAll("input.domain-filter").forEach(function (box) {
    box.addEventListener("change", function () {
      hidden[box.value] = !box.checked;
      if (hover && !visible(hover)) { hover = null; tip.hidden = true; }
      redraw();
    });
  });
  window.addEventListener("resize", function () { resize(); redraw(); });

  window.teleoGraph = {
    nodeScreenPosition: function (id) {
      var n = byId[id];
      if (!n) return null;
      var rect = canvas.getBoundingClientRect();
      return { x: rect.left + sx(n), y: rect.top + sy(n) };
    },
    visibleNodeCount: function () { return nodes.filter(visible).length; },
    nodeIds: function () { return nodes.filter(visible).map(function (n) { return n.id; }); },
  };

  fetch(root.dataset.src || "/api/graph?compact=true")
    .then(function (r) { return r.json(); })
    .then(function (data) {
      colors = data.domain_colors || {};
      nodes = data.nodes.map(function (n) { n.degree = 0; byId[n.id] = n; return n; });
      edges = [];
      data.edges.forEach(function (e) {
        // compact form: [source index, target index, conflict 0/1]; full form: {source, target, type}
        var s = Array.isArray(e) ? nodes[e[0]] : byId[e.source];
        var t = Array.isArray(e) ? nodes[e[1]] : byId[e.target];
        if (!s || !t) return;
        s.degree++; t.degree++;
        edges.push({ s: s, t: t, type: Array.isArray(e) ? (e[2] ? "conflict" : "wiki-link") : e.type });
      });
      resize();
      fit();
      draw();
      root.dataset.ready = "true";
    })
    .catch(function (err) { root.dataset.error = String(err); });
})();
