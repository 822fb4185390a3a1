/**
 * The dashboard's one page (served by `admin.ts`): HTML with its CSS and script inline, no
 * external resource of any kind (the response's Content-Security-Policy forbids them), so it
 * opens on an air-gapped admin network. The script polls `api/snapshot` relative to the page's
 * own path (mount-path aware: `/admin`, `/admin/` and `/admin/index.html` all find
 * `/admin/api/snapshot`) and redraws with `textContent` only: config strings (route and rule
 * names, reasons) never reach the page as markup.
 */

/** The page for `title`, polling every `refreshMs`. */
export function dashboardPage(options: { readonly title: string; readonly refreshMs: number }): string {
  const title = escapeHtml(options.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · dashboard</title>
<style>
:root { color-scheme: light dark; --fg: #1d2430; --muted: #667085; --bg: #f6f7f9; --card: #fff; --line: #e3e6ea; --ok: #0b8a4b; --warn: #b26b00; --bad: #c0262d; --accent: #3358d4; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --bg: #11141a; --card: #1a1f27; --line: #2a313c; --accent: #7f9cff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; padding: 14px 20px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 18px; margin: 0; }
#status { color: var(--muted); }
#status.error { color: var(--bad); }
main { padding: 16px 20px; display: grid; gap: 16px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow-x: auto; }
h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child, td.text { text-align: left; }
td.text { white-space: normal; }
table.left th, table.left td { text-align: left; }
th { color: var(--muted); font-weight: 500; }
tr.backend td:first-child { padding-left: 24px; color: var(--muted); }
.empty { color: var(--muted); }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; border: 1px solid currentColor; font-size: 12px; }
.bar { display: inline-block; width: 120px; height: 8px; background: var(--line); border-radius: 4px; vertical-align: middle; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.rollout { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 8px; }
.rollout:first-of-type { border-top: 0; margin-top: 0; padding-top: 0; }
.ops { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin: 6px 0; }
input { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); cursor: pointer; }
#token-bar { display: none; }
</style>
</head>
<body data-updates="0">
<header>
  <h1>${title}</h1>
  <span id="status">loading…</span>
  <span id="token-bar" class="ops"><label>operations token <input id="token" type="password" autocomplete="off" size="24"></label><span id="op-result" role="status"></span></span>
</header>
<main>
  <section id="routes"><h2>Routes</h2>
    <table><thead><tr><th>route / backend (version)</th><th>split</th><th>req/s</th><th>requests (window)</th><th>total</th><th>success</th><th>p50</th><th>p99</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="rollouts"><h2>Rollouts</h2><p class="empty none">no rollouts</p><div class="list"></div></section>
  <section id="endpoints"><h2>Ejected endpoints and breakers</h2>
    <table id="ejected" class="left"><thead><tr><th>upstream</th><th>endpoint</th><th>url</th><th>by</th><th>since</th></tr></thead><tbody></tbody></table>
    <table id="breakers" class="left"><thead><tr><th>upstream</th><th>breaker</th><th>retry in</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="limits"><h2>Rate-limit rejections</h2>
    <table><thead><tr><th>route</th><th>rule</th><th>source</th><th>rejected/s</th><th>rejected (window)</th><th>total</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="refused"><h2>Refused before any try</h2>
    <table><thead><tr><th>upstream</th><th>reason</th><th>refused/s</th><th>refused (window)</th><th>total</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>
(function () {
  'use strict';
  var refreshMs = ${Math.max(100, Math.floor(options.refreshMs))};
  // Mount-path aware: the API lives beside the page, whatever prefix the page is served under.
  var base = location.pathname.replace(/\\/index\\.html$/, '');
  if (base.charAt(base.length - 1) !== '/') base += '/';
  var updates = 0;

  function $(sel) { return document.querySelector(sel); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function td(field, text, cls) { return el('td', { 'data-field': field, 'class': cls }, text); }
  function num(x) { return x === null || x === undefined ? '–' : String(x); }
  function rate(x) { return x === null || x === undefined ? '–' : (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)); }
  function pct(x) { return x === null || x === undefined ? '–' : (Math.round(x * 1000) / 10).toFixed(1) + '%'; }
  function ms(x) { return x === null || x === undefined ? '–' : (x >= 100 ? x.toFixed(0) : x.toFixed(1)) + ' ms'; }
  function weight(x) { return x === null || x === undefined ? '' : (Math.round(x * 10) / 10) + '%'; }
  function ago(x) { if (x === null || x === undefined) return '–'; var s = Math.round(x / 1000); return s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h'; }
  function successClass(x) { return x === null ? '' : x >= 0.99 ? 'ok' : x >= 0.95 ? 'warn' : 'bad'; }
  function fill(tbody, rows, empty, columns) {
    tbody.textContent = '';
    if (rows.length === 0) { var tr = el('tr'); var c = el('td', { colspan: String(columns), 'class': 'empty' }, empty); tr.appendChild(c); tbody.appendChild(tr); return; }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function trafficCells(tr, s) {
    tr.appendChild(td('rate', rate(s.requests.perSecond)));
    tr.appendChild(td('window', num(s.requests.window)));
    tr.appendChild(td('total', num(s.requests.total)));
    tr.appendChild(td('success', pct(s.successRate), successClass(s.successRate)));
    tr.appendChild(td('p50', ms(s.p50Ms)));
    tr.appendChild(td('p99', ms(s.p99Ms)));
  }

  function renderRoutes(snap) {
    var rows = [];
    snap.routes.forEach(function (r) {
      var name = r.name === null ? '(no route)' : r.name;
      var tr = el('tr', { 'class': 'route', 'data-route': name });
      tr.appendChild(el('td', { 'data-field': 'name' }, name));
      tr.appendChild(td('split', ''));
      trafficCells(tr, r);
      rows.push(tr);
      r.backends.forEach(function (b) {
        var label = b.name + (b.versions.length > 0 ? ' (' + b.versions.join(', ') + ')' : '');
        var btr = el('tr', { 'class': 'backend', 'data-route': name, 'data-backend': b.name });
        btr.appendChild(el('td', { 'data-field': 'name' }, label));
        btr.appendChild(td('weight', weight(b.weightPercent)));
        trafficCells(btr, b);
        rows.push(btr);
      });
    });
    fill($('#routes tbody'), rows, 'no routes', 8);
  }

  // One box per rollout, built once and updated in place: the reason a user is typing (and the
  // focus) survive the redraw every second, and a button is never swapped under the pointer.
  var boxes = {};
  function rolloutBox(route, operations) {
    var b = boxes[route];
    if (b !== undefined && b.operations === operations) return b;
    if (b !== undefined) b.box.remove();
    var box = el('div', { 'class': 'rollout', 'data-rollout': route });
    var head = el('div');
    var title = el('strong'); head.appendChild(title);
    head.appendChild(document.createTextNode(' '));
    var phase = el('span', { 'data-field': 'phase' }); head.appendChild(phase);
    head.appendChild(document.createTextNode(' canary '));
    var bar = el('span', { 'class': 'bar' }); var fillBar = el('span'); bar.appendChild(fillBar); head.appendChild(bar);
    var weightEl = el('span', { 'data-field': 'weight' }); head.appendChild(weightEl);
    var info = el('span', { 'class': 'empty' }); head.appendChild(info);
    box.appendChild(head);
    var reasons = el('div', { 'data-field': 'reasons' }); box.appendChild(reasons);
    if (operations) {
      var ops = el('div', { 'class': 'ops' });
      var reason = el('input', { type: 'text', placeholder: 'reason', size: '28', 'aria-label': 'reason' });
      ops.appendChild(reason);
      ['promote', 'abort', 'retry'].forEach(function (op) {
        var button = el('button', { type: 'button', 'data-op': op }, op);
        button.addEventListener('click', function () { operate(route, op, reason.value); });
        ops.appendChild(button);
      });
      box.appendChild(ops);
    }
    var table = el('table', { 'class': 'left' });
    var thead = el('thead'); var htr = el('tr');
    ['ago', 'decision', 'weight', 'reason'].forEach(function (h) { htr.appendChild(el('th', null, h)); });
    thead.appendChild(htr); table.appendChild(thead);
    var tbody = el('tbody'); table.appendChild(tbody);
    box.appendChild(table);
    b = { box: box, operations: operations, title: title, phase: phase, fill: fillBar, weight: weightEl, info: info, reasons: reasons, tbody: tbody };
    boxes[route] = b;
    return b;
  }

  function renderRollouts(snap) {
    var list = $('#rollouts .list');
    var seen = {};
    var cursor = list.firstElementChild;
    snap.rollouts.forEach(function (r) {
      seen[r.route] = true;
      var b = rolloutBox(r.route, snap.operations === true);
      b.title.textContent = r.route + ' · ' + r.name;
      b.phase.className = 'badge ' + (r.phase === 'succeeded' ? 'ok' : r.phase === 'rolled-back' || r.phase === 'aborted' ? 'bad' : r.phase === 'paused' || r.phase === 'waiting' ? 'warn' : '');
      b.phase.textContent = r.phase === null ? 'unknown' : r.phase;
      b.fill.style.width = Math.max(0, Math.min(100, r.weightPercent)) + '%';
      b.weight.textContent = ' ' + weight(r.weightPercent);
      b.info.textContent = ' · step ' + (r.stepIndex + 1) + ' · failed checks ' + r.failedChecks + (r.leader ? '' : ' · follower') + (r.storeAvailable ? '' : ' · store unavailable: weights frozen');
      b.reasons.textContent = r.reasons.join('; ');
      fill(b.tbody, r.events.map(function (e) {
        var tr = el('tr');
        tr.appendChild(td('ago', ago(e.agoMs)));
        tr.appendChild(td('type', e.type));
        tr.appendChild(td('weights', e.fromPercent + '% → ' + e.toPercent + '%'));
        tr.appendChild(td('reason', e.reason, 'text'));
        return tr;
      }), 'no decisions yet', 4);
      // Boxes already in order stay where they are (moving a node would take its focus away).
      if (cursor === b.box) cursor = cursor.nextElementSibling;
      else list.insertBefore(b.box, cursor);
    });
    for (var route in boxes) if (!seen[route]) { boxes[route].box.remove(); delete boxes[route]; }
    var empty = $('#rollouts .none');
    empty.style.display = snap.rollouts.length === 0 ? 'block' : 'none';
  }

  function renderEndpoints(snap) {
    fill($('#ejected tbody'), snap.ejected.map(function (e) {
      var tr = el('tr', { 'data-endpoint': e.upstream + '/' + e.endpoint });
      tr.appendChild(td('upstream', e.upstream)); tr.appendChild(td('endpoint', e.endpoint)); tr.appendChild(td('url', e.url));
      tr.appendChild(td('by', e.by, 'bad')); tr.appendChild(td('since', ago(e.sinceMs)));
      return tr;
    }), 'no endpoint ejected', 5);
    fill($('#breakers tbody'), snap.breakers.map(function (b) {
      var tr = el('tr', { 'data-breaker': b.upstream });
      tr.appendChild(td('upstream', b.upstream)); tr.appendChild(td('status', b.status, b.status === 'open' ? 'bad' : 'warn')); tr.appendChild(td('retry', ago(b.retryInMs)));
      return tr;
    }), 'every breaker closed', 3);
  }

  function renderLimits(snap) {
    fill($('#limits tbody'), snap.limits.map(function (l) {
      var tr = el('tr', { 'data-rule': l.route + '/' + l.rule });
      tr.appendChild(td('route', l.route)); tr.appendChild(td('rule', l.rule)); tr.appendChild(td('source', l.source));
      tr.appendChild(td('rate', rate(l.rejected.perSecond))); tr.appendChild(td('window', num(l.rejected.window))); tr.appendChild(td('total', num(l.rejected.total)));
      return tr;
    }), 'no request limited', 6);
    fill($('#refused tbody'), snap.refused.map(function (u) {
      var tr = el('tr', { 'data-refused': u.upstream + '/' + u.reason });
      tr.appendChild(td('upstream', u.upstream)); tr.appendChild(td('reason', u.reason));
      tr.appendChild(td('rate', rate(u.rejected.perSecond))); tr.appendChild(td('window', num(u.rejected.window))); tr.appendChild(td('total', num(u.rejected.total)));
      return tr;
    }), 'nothing refused', 5);
  }

  function render(snap) {
    $('#token-bar').style.display = snap.operations ? 'flex' : 'none';
    renderRoutes(snap); renderRollouts(snap); renderEndpoints(snap); renderLimits(snap);
    var status = $('#status');
    status.className = '';
    status.textContent = 'updated ' + new Date(snap.at).toLocaleTimeString() + ' · window ' + ago(snap.windowMs) + ' (of ' + ago(snap.configuredWindowMs) + ')';
    updates++;
    document.body.setAttribute('data-updates', String(updates));
  }

  function operate(route, op, reason) {
    var out = $('#op-result');
    var token = $('#token').value;
    if (token === '') { out.textContent = 'enter the operations token first'; return; }
    out.textContent = op + ' ' + route + '…';
    fetch(base + 'api/rollouts/' + encodeURIComponent(route) + '/' + op + (reason ? '?reason=' + encodeURIComponent(reason) : ''), {
      method: 'POST', cache: 'no-store', credentials: 'omit', headers: { authorization: 'Bearer ' + token },
    }).then(function (res) {
      return res.json().then(function (body) {
        out.textContent = res.ok ? op + ' ' + route + ': done' : op + ' ' + route + ': ' + (body.detail || body.reason || res.status);
        tick(true);
      });
    }).catch(function (e) { out.textContent = op + ' failed: ' + e.message; });
  }

  var timer = null;
  function tick(once) {
    if (!once && timer !== null) clearTimeout(timer);
    fetch(base + 'api/snapshot', { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(render)
      .catch(function (e) { var s = $('#status'); s.className = 'error'; s.textContent = 'cannot load the snapshot: ' + e.message; })
      .then(function () { if (!once) timer = setTimeout(tick, refreshMs); });
  }
  tick(false);
})();
</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
