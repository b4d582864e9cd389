// Sortable tables, no dependencies. Click a column's header button to sort by it; click again to
// reverse. Cells carry data-sort (plain decimals for numbers); empty values sort last both ways,
// so a missing score never ranks first. aria-sort tells assistive technology the current order.
(function () {
  'use strict';

  function value(row, col, numeric) {
    var cell = row.cells[col];
    var raw = cell ? (cell.getAttribute('data-sort') !== null ? cell.getAttribute('data-sort') : cell.textContent) : '';
    if (raw === '') return null;
    if (!numeric) return raw.toLowerCase();
    var x = parseFloat(raw);
    return isNaN(x) ? null : x;
  }

  function sortBy(table, col, numeric, ascending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var va = value(a, col, numeric);
      var vb = value(b, col, numeric);
      if (va === null && vb === null) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      var c = numeric ? va - vb : va < vb ? -1 : va > vb ? 1 : 0;
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, col) {
      var button = th.querySelector('button');
      if (!button) return;
      var numeric = th.getAttribute('data-type') === 'num';
      button.addEventListener('click', function () {
        var current = th.getAttribute('aria-sort');
        // First click: numbers high-to-low (scores), text A-to-Z; later clicks reverse.
        var ascending = current ? current === 'descending' : !numeric;
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        sortBy(table, col, numeric, ascending);
      });
    });
  });
})();
