// Circuit viewer. The graph itself is static SVG in the page; this script adds the details:
// hovering, focusing or clicking a node shows its activations on the test prompts, unpruned and
// pruned side by side, its Pearson r, and for q/k/v nodes its head's attention pattern, in the
// panel beside the graph (sticky, so it stays in view). The nodes are ONE tab stop (a roving
// tabindex; the arrow keys move within a column and across columns), so even a whole-model
// circuit adds one. A collapsed graph (a large circuit) shows one box per layer × site; each
// group's label is a button that expands it, and edges show between expanded groups.
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
    var w = 72, h = 12, mid = w / 2;
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
      panel.appendChild(el('p', 'hint', 'No activation samples for this node (the run stores them for a sample of its nodes).'));
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

  var groups = new Map();
  (data.groups || []).forEach(function (g) { groups.set(g.group, g); });

  /** A layer × site group: its count, the mean r of its judged nodes, its strongest connections. */
  function showGroup(gid) {
    var g = groups.get(gid);
    panel.textContent = '';
    panel.appendChild(el('h3', 'node-id', gid));
    if (!g) return;
    var m = /^L(\d+)\.(.+)$/.exec(gid);
    var meta = 'layer ' + (m ? m[1] : '?') + ' · ' + (m ? m[2] : '?') + ' · ' + g.count + ' of ' + g.width + ' nodes in the circuit (' + (100 * g.count / Math.max(1, g.width)).toFixed(1) + '%)';
    var rs = [];
    roles.forEach(function (r, node) { if (node.indexOf(gid + '.') === 0 && typeof r === 'number') rs.push(r); });
    if (rs.length) meta += ' · mean r ' + fmt(rs.reduce(function (a, b) { return a + b; }, 0) / rs.length) + ' over ' + rs.length + ' judged nodes';
    panel.appendChild(el('p', 'meta', meta));
    if (g.links && g.links.length) {
      panel.appendChild(el('p', null, 'Strongest connections (Σ|w| over the drawn edges):'));
      var ul = el('ul', 'links');
      g.links.forEach(function (l) { ul.appendChild(el('li', null, l.group + ' — ' + fmt(l.weight) + ' over ' + l.edges + ' edge' + (l.edges === 1 ? '' : 's'))); });
      panel.appendChild(ul);
    }
    var col = colEls.get(g.col);
    var open = col && col.getAttribute('data-expanded') === 'true';
    panel.appendChild(el('p', 'hint', open ? 'Expanded: hover or focus its nodes.' : 'Collapsed: click the box or press Enter on its label to show its nodes.'));
  }

  var svg = document.querySelector('svg.circuit');
  if (!svg) return;
  var collapsed = svg.classList.contains('collapsed');
  var edges = svg.querySelectorAll('.edge');
  var colEls = new Map();
  var colNodes = new Map();
  var colOrder = [];
  Array.prototype.forEach.call(svg.querySelectorAll('g.col'), function (c) {
    var k = Number(c.getAttribute('data-col'));
    colEls.set(k, c);
    colNodes.set(k, Array.prototype.slice.call(c.querySelectorAll('.node')));
    colOrder.push(k);
  });
  colOrder.sort(function (a, b) { return a - b; });
  var roving = null;

  function expanded(k) { var c = colEls.get(k); return !!c && c.getAttribute('data-expanded') === 'true'; }
  function visibleCols() { return colOrder.filter(function (k) { return expanded(k) && colNodes.get(k).length; }); }
  function ty(n) { var m = /translate\(\s*[-\d.]+[ ,]+([-\d.]+)/.exec(n.getAttribute('transform') || ''); return m ? Number(m[1]) : 0; }

  function setRoving(n) {
    if (roving && roving !== n) roving.setAttribute('tabindex', '-1');
    roving = n;
    if (n) n.setAttribute('tabindex', '0');
  }
  function ensureRoving() {
    if (roving && expanded(Number(roving.getAttribute('data-col')))) return;
    var cols = visibleCols();
    setRoving(cols.length ? colNodes.get(cols[0])[0] : null);
  }
  function updateEdges() {
    if (!collapsed) return;
    Array.prototype.forEach.call(edges, function (e) {
      e.classList.toggle('on', expanded(Number(e.getAttribute('data-cf'))) && expanded(Number(e.getAttribute('data-ct'))));
    });
  }
  function setExpanded(k, open) {
    var c = colEls.get(k);
    if (!c) return;
    c.setAttribute('data-expanded', open ? 'true' : 'false');
    var t = c.querySelector('.toggle');
    if (t) {
      t.setAttribute('aria-expanded', open ? 'true' : 'false');
      var label = t.getAttribute('aria-label') || '';
      t.setAttribute('aria-label', label.replace(/; (expand|collapse)$/, open ? '; collapse' : '; expand'));
    }
  }
  function afterToggle() {
    updateEdges();
    ensureRoving();
  }

  function activate(g) {
    var id = g.getAttribute('data-node');
    if (svg.__active) svg.__active.classList.remove('active');
    g.classList.add('active');
    svg.__active = g;
    Array.prototype.forEach.call(edges, function (e) {
      e.classList.toggle('hl', e.getAttribute('data-from') === id || e.getAttribute('data-to') === id);
    });
    svg.classList.add('focused');
    show(id);
  }
  function activateGroup(k) {
    var c = colEls.get(k);
    if (!c) return;
    Array.prototype.forEach.call(edges, function (e) {
      e.classList.toggle('hl', Number(e.getAttribute('data-cf')) === k || Number(e.getAttribute('data-ct')) === k);
    });
    svg.classList.add('focused');
    showGroup(c.getAttribute('data-group'));
  }

  function nodeOf(t) { return t && t.closest ? t.closest('.node') : null; }
  svg.addEventListener('mouseover', function (ev) {
    var n = nodeOf(ev.target);
    if (n) return activate(n);
    var g = ev.target.closest && ev.target.closest('.group, .toggle');
    if (g) activateGroup(Number(g.closest('g.col').getAttribute('data-col')));
  });
  svg.addEventListener('focusin', function (ev) {
    var n = nodeOf(ev.target);
    if (n) { setRoving(n); return activate(n); }
    if (ev.target.classList && ev.target.classList.contains('toggle')) activateGroup(Number(ev.target.closest('g.col').getAttribute('data-col')));
  });
  svg.addEventListener('click', function (ev) {
    var n = nodeOf(ev.target);
    if (n) { n.focus(); return; }
    var g = ev.target.closest && ev.target.closest('.group, .toggle');
    if (g) {
      var k = Number(g.closest('g.col').getAttribute('data-col'));
      setExpanded(k, !expanded(k));
      afterToggle();
      activateGroup(k);
    }
  });

  function move(n, key) {
    var k = Number(n.getAttribute('data-col'));
    var list = colNodes.get(k);
    var i = list.indexOf(n);
    if (key === 'ArrowDown') return list[Math.min(list.length - 1, i + 1)];
    if (key === 'ArrowUp') return list[Math.max(0, i - 1)];
    if (key === 'Home') return list[0];
    if (key === 'End') return list[list.length - 1];
    var cols = visibleCols();
    var at = cols.indexOf(k);
    var next = key === 'ArrowRight' ? cols[at + 1] : cols[at - 1];
    if (next === undefined) return n;
    var y = ty(n);
    var best = null;
    colNodes.get(next).forEach(function (m) { if (!best || Math.abs(ty(m) - y) < Math.abs(ty(best) - y)) best = m; });
    return best || n;
  }
  svg.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains('toggle')) {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        var k = Number(t.closest('g.col').getAttribute('data-col'));
        setExpanded(k, !expanded(k));
        afterToggle();
        activateGroup(k);
      }
      return;
    }
    var n = nodeOf(t);
    if (!n) return;
    if (['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].indexOf(ev.key) < 0) return;
    ev.preventDefault();
    var m = move(n, ev.key);
    if (m && m !== n) m.focus();
  });

  var expandAll = document.getElementById('expand-all');
  var collapseAll = document.getElementById('collapse-all');
  if (expandAll) expandAll.addEventListener('click', function () { colOrder.forEach(function (k) { setExpanded(k, true); }); afterToggle(); });
  if (collapseAll) collapseAll.addEventListener('click', function () { colOrder.forEach(function (k) { setExpanded(k, false); }); afterToggle(); });
  afterToggle();

  if (headsEl) {
    if (!(data.attention || []).length) headsEl.appendChild(el('p', 'hint', 'No head with q/k/v nodes in this circuit.'));
    (data.attention || []).forEach(function (h) { headsEl.appendChild(headTable(h)); });
  }
})();
