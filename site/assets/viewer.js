// Circuit viewer. The graph itself is static SVG in the page; this script adds the details:
// hovering, focusing or clicking a node shows its activations on the test prompts, unpruned and
// pruned side by side, its Pearson r, and for q/k/v nodes its head's attention pattern.
// Data comes from the page's <script type="application/json" id="viewer-data">, and every piece
// of it is inserted as text (textContent, attributes), never parsed as HTML.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var dataEl = document.getElementById('viewer-data');
  var panel = document.getElementById('panel');
  var headsEl = document.getElementById('heads');
  if (!dataEl || !panel) return;
  var data = JSON.parse(dataEl.textContent || '{}');

  var acts = new Map();
  (data.activations || []).forEach(function (a) { acts.set(a.node, a); });
  var roles = new Map();
  (data.roles || []).forEach(function (p) { roles.set(p.node, p.r); });
  var heads = new Map();
  (data.attention || []).forEach(function (h) { heads.set(h.layer + '.' + h.head, h); });
  var js = new Map();
  (data.js || []).forEach(function (h) { js.set(h.layer + '.' + h.head, h.js); });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(x) { return typeof x === 'number' ? x.toFixed(3) : '—'; }

  function parseNode(id) {
    var m = /^L(\d+)\.([a-z_]+)\.(\d+)$/.exec(id);
    if (!m) return null;
    var site = m[2];
    var index = Number(m[3]);
    var qkv = site === 'q' || site === 'k' || site === 'v';
    return { layer: Number(m[1]), site: site, index: index, head: qkv ? Math.floor(index / data.d_head) : null };
  }

  /** A horizontal bar from zero, scaled so the node's largest |activation| fills half the width. */
  function bar(x, scale, cls) {
    var w = 110, h = 12, mid = w / 2;
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.setAttribute('class', 'bar');
    var axis = document.createElementNS(SVG, 'line');
    axis.setAttribute('x1', String(mid)); axis.setAttribute('x2', String(mid));
    axis.setAttribute('y1', '0'); axis.setAttribute('y2', String(h));
    axis.setAttribute('class', 'axis');
    var len = scale > 0 ? (Math.abs(x) / scale) * (mid - 2) : 0;
    var r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', String(x >= 0 ? mid : mid - len));
    r.setAttribute('y', '2');
    r.setAttribute('width', String(len));
    r.setAttribute('height', String(h - 4));
    r.setAttribute('class', cls);
    svg.appendChild(r);
    svg.appendChild(axis);
    return svg;
  }

  function tokensOf(p, n) {
    if (data.tokens && data.tokens[p]) return data.tokens[p];
    var t = [];
    for (var i = 0; i < n; i++) t.push('#' + i);
    return t;
  }

  /** One table per head: a column per key token, rows unpruned and pruned per prompt. */
  function headTable(h) {
    var wrap = el('div', 'head');
    var key = h.layer + '.' + h.head;
    wrap.appendChild(el('h4', null, 'layer ' + h.layer + ', head ' + h.head + (js.has(key) ? ' — JS divergence ' + fmt(js.get(key)) : '')));
    (data.prompts || []).forEach(function (prompt, p) {
      var un = h.unpruned[p] || [];
      var pr = h.pruned[p] || [];
      var toks = tokensOf(p, Math.max(un.length, pr.length));
      var t = el('table', 'attn');
      var head = el('tr');
      head.appendChild(el('th', null, ''));
      toks.forEach(function (tok) { head.appendChild(el('th', 'tok', tok)); });
      t.appendChild(head);
      [['unpruned', un], ['pruned', pr]].forEach(function (pair) {
        var row = el('tr');
        row.appendChild(el('th', 'side', pair[0]));
        pair[1].forEach(function (w) {
          var c = el('td', 'w', w >= 0.1 ? w.toFixed(2) : '');
          // CSSOM assignment, not a style attribute: allowed under a strict CSP.
          c.style.backgroundColor = 'rgba(31, 119, 180, ' + Math.max(0, Math.min(1, w)).toFixed(3) + ')';
          c.title = w.toFixed(4);
          row.appendChild(c);
        });
        t.appendChild(row);
      });
      wrap.appendChild(t);
    });
    return wrap;
  }

  function show(id) {
    var info = parseNode(id);
    panel.textContent = '';
    panel.appendChild(el('h3', 'node-id', id));
    if (!info) return;
    var meta = 'layer ' + info.layer + ' · ' + info.site + ' · index ' + info.index;
    if (info.head !== null) meta += ' · head ' + info.head;
    if (roles.has(id)) meta += ' · r = ' + fmt(roles.get(id));
    panel.appendChild(el('p', 'meta', meta));
    var a = acts.get(id);
    if (!a) {
      panel.appendChild(el('p', 'hint', 'No activation samples for this node.'));
    } else {
      var scale = 0;
      a.pruned.concat(a.unpruned).forEach(function (x) { scale = Math.max(scale, Math.abs(x)); });
      var table = el('table', 'acts');
      var head = el('tr');
      ['prompt', 'unpruned', 'pruned'].forEach(function (h) { head.appendChild(el('th', null, h)); });
      var thead = el('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      var body = el('tbody');
      (data.prompts || []).forEach(function (prompt, i) {
        var tr = el('tr');
        tr.appendChild(el('td', 'prompt', prompt));
        [['unpruned', a.unpruned[i]], ['pruned', a.pruned[i]]].forEach(function (pair) {
          var td = el('td', 'val');
          td.appendChild(bar(pair[1], scale, pair[0]));
          td.appendChild(el('span', 'num', fmt(pair[1])));
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      table.appendChild(body);
      panel.appendChild(table);
    }
    if (info.head !== null) {
      var h = heads.get(info.layer + '.' + info.head);
      if (h) panel.appendChild(headTable(h));
    }
  }

  var svg = document.querySelector('svg.circuit');
  var nodes = svg ? svg.querySelectorAll('.node') : [];
  var edges = svg ? svg.querySelectorAll('.edge') : [];
  function activate(g) {
    var id = g.getAttribute('data-node');
    Array.prototype.forEach.call(nodes, function (n) { n.classList.toggle('active', n === g); });
    Array.prototype.forEach.call(edges, function (e) {
      e.classList.toggle('hl', e.getAttribute('data-from') === id || e.getAttribute('data-to') === id);
    });
    svg.classList.add('focused');
    show(id);
  }
  Array.prototype.forEach.call(nodes, function (g) {
    g.addEventListener('mouseenter', function () { activate(g); });
    g.addEventListener('focus', function () { activate(g); });
    g.addEventListener('click', function () { activate(g); });
  });

  if (headsEl) {
    if (!(data.attention || []).length) headsEl.appendChild(el('p', 'hint', 'No head with q/k/v nodes in this circuit.'));
    (data.attention || []).forEach(function (h) { headsEl.appendChild(headTable(h)); });
  }
})();
