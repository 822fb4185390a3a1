/* global uPlot, document, window, requestAnimationFrame */
// The HTML report's page script: reads the model from the JSON data block #sy-report-data and draws each
// `<div class="sy-chart" data-chart=KIND data-run=I>` with uPlot. Plain ES2020, no build step:
// `pnpm --filter @switchyard/simulate gen:html` inlines this file (and its CSP hash) into
// src/html/assets.generated.ts. The shape it reads is HtmlReportModel (src/html/model.ts).
(function () {
  'use strict';

  var model = JSON.parse(document.getElementById('sy-report-data').textContent);
  // No grey in the palette: the browser test tells drawn series from axes and grid by colour.
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#e377c2', '#8c564b', '#bcbd22', '#393b79'];
  var HEIGHT = 300;
  var NO_POINTS = { show: false };
  var charts = [];

  function color(i) {
    return PALETTE[i % PALETTE.length];
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function fmtMs(v) {
    if (v == null) return '–';
    if (v >= 100 || v === Math.round(v)) return v.toFixed(0) + ' ms';
    if (v >= 10) return v.toFixed(1) + ' ms';
    return v.toPrecision(2) + ' ms';
  }
  function fmtPct(v) {
    return v == null ? '–' : (v * 100).toFixed(1) + ' %';
  }
  function fmtS(v) {
    return v == null ? '–' : v + ' s';
  }
  function uniqueSorted(values) {
    return values.slice().sort(function (a, b) { return a - b; }).filter(function (v, i, a) { return i === 0 || v !== a[i - 1]; });
  }
  function maxOf(arrays) {
    var m = 0;
    arrays.forEach(function (a) {
      a.forEach(function (v) {
        if (v != null && v > m) m = v;
      });
    });
    return m;
  }
  function minPositiveOf(arrays) {
    var m = Infinity;
    arrays.forEach(function (a) {
      a.forEach(function (v) {
        if (v != null && v > 0 && v < m) m = v;
      });
    });
    return m === Infinity ? 0 : m;
  }
  // Latency y scale: logarithmic when the values span more than a factor 20 (a 2 s timeout next
  // to a 20 ms median), so that medians and tails are both readable; linear from 0 otherwise.
  function latencyScale(min, max) {
    // The lower bound on a power of ten: uPlot puts the log ticks at that bound times 10^k.
    if (min > 0 && max / min > 20) return { distr: 3, log: 10, range: [Math.pow(10, Math.floor(Math.log10(min / 1.25))), max * 1.25] };
    return { range: [0, max * 1.05 || 1] };
  }
  function positive(values) {
    return values.map(function (v) { return v != null && v > 0 ? v : null; });
  }
  // Log axes: label 1, 2 and 5 × 10^k over a narrow span (uPlot labels only the powers of ten,
  // which can leave a single label), the powers of ten only over a wide one.
  function logLabels(u, splits) {
    var lo = Infinity;
    var hi = 0;
    splits.forEach(function (v) { if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    var keep = Math.log10(hi / lo) <= 2.5 ? [1, 2, 5] : [1];
    return splits.map(function (v) {
      if (!(v > 0)) return null;
      var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
      return keep.some(function (k) { return Math.abs(m - k) < 1e-6; }) ? v : null;
    });
  }
  function latencyAxis(scale) {
    var axis = { label: 'latency (ms)', size: 60, values: function (u, splits) { return splits.map(function (s) { return s == null ? '' : fmtMs(s); }); } };
    if (scale.distr === 3) axis.filter = logLabels;
    return axis;
  }
  function timeAxis() {
    return { label: 'simulated time (s)', values: function (u, splits) { return splits.map(function (s) { return s + ' s'; }); } };
  }
  // The scenario's events (a slow endpoint, an outage...) as shaded spans under the series.
  function eventShading(events) {
    return function (u) {
      if (!events || events.length === 0) return;
      var ctx = u.ctx;
      var bb = u.bbox;
      var px = uPlot.pxRatio;
      ctx.save();
      ctx.beginPath();
      ctx.rect(bb.left, bb.top, bb.width, bb.height);
      ctx.clip();
      events.forEach(function (e, i) {
        var x0 = Math.max(bb.left, u.valToPos(e.fromS, 'x', true));
        var x1 = e.toS == null ? bb.left + bb.width : Math.min(bb.left + bb.width, u.valToPos(e.toS, 'x', true));
        ctx.fillStyle = 'rgba(0,0,0,0.06)';
        if (x1 > x0) ctx.fillRect(x0, bb.top, x1 - x0, bb.height);
        ctx.fillStyle = 'rgba(60,60,60,0.9)';
        ctx.font = 11 * px + 'px system-ui, sans-serif';
        ctx.textBaseline = 'top';
        ctx.textAlign = 'left';
        ctx.fillText(e.label, x0 + 4 * px, bb.top + (4 + 14 * i) * px);
      });
      ctx.restore();
    };
  }
  function base(title, extra) {
    var opts = {
      title: title,
      width: 600,
      height: HEIGHT,
      scales: { x: { time: false } },
      cursor: { sync: { key: 'sy-time' } },
      legend: { live: true },
    };
    for (var k in extra) opts[k] = extra[k];
    return opts;
  }

  // Latency over time per version: p50 line, p90 and p99 lines, bands p50–p90 and p90–p99.
  function latencyChart(run, yMin, yMax) {
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [run.timeS];
    var bands = [];
    run.latency.forEach(function (l, i) {
      var c = color(i);
      var at = data.length;
      series.push({ label: l.name + ' p50', stroke: c, width: 2, points: NO_POINTS, value: function (u, v) { return fmtMs(v); } });
      series.push({ label: l.name + ' p90', stroke: c, width: 1, dash: [6, 3], points: NO_POINTS, value: function (u, v) { return fmtMs(v); } });
      series.push({ label: l.name + ' p99', stroke: c, width: 1, dash: [2, 3], points: NO_POINTS, value: function (u, v) { return fmtMs(v); } });
      data.push(positive(l.p50), positive(l.p90), positive(l.p99));
      bands.push({ series: [at + 1, at], fill: alpha(c, 0.25) });
      bands.push({ series: [at + 2, at + 1], fill: alpha(c, 0.1) });
    });
    return {
      opts: base('Latency over time: p50 / p90 / p99 per version (' + run.label + ')', {
        series: series,
        bands: bands,
        events: run.events,
        scales: { x: { time: false }, y: latencyScale(yMin, yMax) },
        axes: [timeAxis(), latencyAxis(latencyScale(yMin, yMax))],
      }),
      data: data,
    };
  }

  // Latency CDFs: one x grid (every latency of every series), each series a step function on it.
  function cdfChart(run, xMax) {
    var grid = [];
    run.cdfs.forEach(function (c) { grid = grid.concat(c.latencyMs); });
    // Log scale: only positive latencies are x positions; requests answered in 0 ms (a 429 from a
    // local limiter) still count in each step's fraction, so such a curve starts above 0 %.
    grid = uniqueSorted(grid.filter(function (v) { return v > 0; }));
    var positive = grid.length > 0;
    var series = [{ label: 'latency', value: function (u, v) { return fmtMs(v); } }];
    var data = [grid];
    run.cdfs.forEach(function (c, i) {
      var values = [];
      var j = -1;
      grid.forEach(function (x) {
        while (j + 1 < c.latencyMs.length && c.latencyMs[j + 1] <= x) j++;
        values.push(j < 0 ? 0 : c.fraction[j]);
      });
      series.push({ label: c.name, stroke: color(i), width: 2, points: NO_POINTS, value: function (u, v) { return fmtPct(v); } });
      data.push(values);
    });
    return {
      opts: base('Latency CDF per route and version' + (run.label ? ' (' + run.label + ')' : ''), {
        series: series,
        cursor: { sync: { key: 'sy-cdf' } },
        scales: {
          x: positive ? { time: false, distr: 3, range: [grid[0], xMax] } : { time: false, range: [0, xMax || 1] },
          y: { range: [0, 1] },
        },
        axes: [
          latencyAxis(positive ? { distr: 3 } : {}),
          { label: 'fraction of requests', size: 60, values: function (u, splits) { return splits.map(function (s) { return (s * 100).toFixed(0) + ' %'; }); } },
        ],
      }),
      data: data,
    };
  }

  // Shares over time as stacked areas (the data is stacked here; the legend shows each raw share).
  function shareChart(run, list, title) {
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [run.timeS];
    var bands = [];
    var acc = run.timeS.map(function () { return 0; });
    list.forEach(function (s, i) {
      acc = acc.map(function (a, k) { return a + (s.values[k] || 0); });
      var c = color(i);
      series.push({
        label: s.name,
        stroke: c,
        width: 1,
        fill: i === 0 ? alpha(c, 0.45) : undefined,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: NO_POINTS,
        value: function (u, v, si, idx) { return idx == null ? '–' : fmtPct(list[si - 1].values[idx]); },
      });
      if (i > 0) bands.push({ series: [data.length, data.length - 1], fill: alpha(c, 0.45) });
      data.push(acc.slice());
    });
    return {
      opts: base(title + ' (' + run.label + ')', {
        series: series,
        bands: bands,
        events: run.events,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [timeAxis(), { label: 'share of requests', size: 60, values: function (u, splits) { return splits.map(function (s) { return (s * 100).toFixed(0) + ' %'; }); } }],
      }),
      data: data,
    };
  }

  // Ejections: one lane per endpoint, a thick segment while it is ejected.
  function ejectionChart(run) {
    var names = [];
    run.ejections.forEach(function (e) { if (names.indexOf(e.endpoint) < 0) names.push(e.endpoint); });
    names.sort();
    var bounds = [0, run.durationS];
    run.ejections.forEach(function (e) { bounds.push(e.fromS, e.toS == null ? run.durationS : e.toS); });
    bounds = uniqueSorted(bounds);
    // Midpoints between boundaries, so two separate ejections of one endpoint never join.
    var xs = [];
    bounds.forEach(function (b, i) {
      xs.push(b);
      if (i + 1 < bounds.length) xs.push((b + bounds[i + 1]) / 2);
    });
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [xs];
    names.forEach(function (name, lane) {
      var own = run.ejections.filter(function (e) { return e.endpoint === name; });
      data.push(xs.map(function (x) {
        var hit = own.some(function (e) { return e.fromS <= x && x <= (e.toS == null ? run.durationS : e.toS); });
        return hit ? lane + 1 : null;
      }));
      series.push({
        label: name,
        stroke: color(lane),
        width: 10,
        spanGaps: false,
        points: NO_POINTS,
        value: function (u, v) { return v == null ? 'in set' : 'ejected'; },
      });
    });
    return {
      opts: base('Outlier ejections per endpoint (' + run.label + ')', {
        series: series,
        events: run.events,
        scales: { x: { time: false, range: [0, run.durationS] }, y: { range: [0, names.length + 1] } },
        axes: [
          timeAxis(),
          {
            size: 120,
            splits: function () { return names.map(function (n, i) { return i + 1; }); },
            values: function (u, splits) { return splits.map(function (s) { return names[s - 1] || ''; }); },
            grid: { show: false },
          },
        ],
      }),
      data: data,
    };
  }

  // Rollout: the canary weight as a step line per rollout, hovering shows phase and reason.
  function rolloutChart(run) {
    var names = [];
    run.rollout.forEach(function (s) { if (names.indexOf(s.rollout) < 0) names.push(s.rollout); });
    var xs = [0, run.durationS];
    run.rollout.forEach(function (s) { xs.push(s.atS); });
    xs = uniqueSorted(xs);
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [xs];
    names.forEach(function (name, i) {
      var steps = run.rollout.filter(function (s) { return s.rollout === name; });
      var current = null;
      var at = xs.map(function (x) {
        steps.forEach(function (s) { if (s.atS <= x) current = s; });
        return current;
      });
      data.push(at.map(function (s) { return s == null ? null : s.weightPercent; }));
      series.push({
        label: name,
        stroke: color(i),
        width: 2,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 7 },
        value: function (u, v, si, idx) {
          var s = idx == null ? null : at[idx];
          if (s == null) return '–';
          var reason = s.reason.length > 90 ? s.reason.slice(0, 89) + '…' : s.reason;
          return s.weightPercent + ' % ' + s.phase + (reason ? ': ' + reason : '');
        },
      });
    });
    return {
      opts: base('Rollout: canary weight over time (' + run.label + ')', {
        series: series,
        events: run.events,
        scales: { x: { time: false, range: [0, run.durationS] }, y: { range: [0, 100] } },
        axes: [timeAxis(), { label: 'canary weight (%)', size: 60 }],
      }),
      data: data,
    };
  }

  // 429s per limiter tier or rule per bucket.
  function rejectionChart(run, yMax) {
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [run.timeS];
    run.rejections.forEach(function (s, i) {
      series.push({ label: s.name, stroke: color(i), fill: alpha(color(i), 0.15), width: 2, points: NO_POINTS, paths: uPlot.paths.stepped({ align: 1 }) });
      data.push(s.values);
    });
    return {
      opts: base('429 responses per tier / rule (' + run.label + ')', {
        series: series,
        events: run.events,
        scales: { x: { time: false }, y: { range: [0, yMax * 1.05 || 1] } },
        axes: [timeAxis(), { label: '429s per bucket', size: 60 }],
      }),
      data: data,
    };
  }

  // Every run on one plot: p99 (thick) and p50 (thin, dashed) per route, one colour per run.
  function compareLatencyChart(runs, yMin, yMax) {
    var xs = [];
    runs.forEach(function (r) { if (r.timeS.length > xs.length) xs = r.timeS; });
    var series = [{ label: 'time', value: function (u, v) { return fmtS(v); } }];
    var data = [xs];
    var k = 0;
    runs.forEach(function (r) {
      var at = {};
      r.timeS.forEach(function (t, i) { at[t] = i; });
      var align = function (values) { return xs.map(function (t) { var i = at[t]; return i == null ? null : values[i]; }); };
      r.routeLatency.forEach(function (l) {
        var c = color(k++);
        var name = r.label + (r.routeLatency.length > 1 ? ' ' + l.name : '');
        series.push({ label: name + ' p99', stroke: c, width: 2.5, points: NO_POINTS, value: function (u, v) { return fmtMs(v); } });
        series.push({ label: name + ' p50', stroke: c, width: 1, dash: [5, 3], points: NO_POINTS, value: function (u, v) { return fmtMs(v); } });
        data.push(positive(align(l.p99)), positive(align(l.p50)));
      });
    });
    return {
      opts: base('Latency over time per config: p99 and p50', {
        series: series,
        events: runs[0].events,
        scales: { x: { time: false }, y: latencyScale(yMin, yMax) },
        axes: [timeAxis(), latencyAxis(latencyScale(yMin, yMax))],
      }),
      data: data,
    };
  }

  function compareCdfChart(runs, xMax) {
    var list = [];
    runs.forEach(function (r) {
      r.routeCdfs.forEach(function (c) {
        list.push({ name: r.label + (r.routeCdfs.length > 1 ? ' ' + c.name : ''), latencyMs: c.latencyMs, fraction: c.fraction });
      });
    });
    var spec = cdfChart({ label: '', cdfs: list }, xMax);
    spec.opts.title = 'Latency CDF per config';
    return spec;
  }

  // Shared y ranges across the runs of a comparison, so side-by-side charts compare at a glance.
  var latencyMax = maxOf(model.runs.map(function (r) { return [].concat.apply([], r.latency.concat(r.routeLatency).map(function (l) { return l.p99; })); }));
  var latencyMin = minPositiveOf(model.runs.map(function (r) { return [].concat.apply([], r.latency.concat(r.routeLatency).map(function (l) { return l.p50; })); }));
  var cdfMax = maxOf(model.runs.map(function (r) { return [].concat.apply([], r.cdfs.concat(r.routeCdfs).map(function (c) { return c.latencyMs; })); }));
  var rejectionMax = maxOf(model.runs.map(function (r) { return [].concat.apply([], r.rejections.map(function (s) { return s.values; })); }));

  function build(kind, run) {
    switch (kind) {
      case 'compare-latency': return compareLatencyChart(model.runs, latencyMin, latencyMax);
      case 'compare-cdf': return compareCdfChart(model.runs, cdfMax);
      case 'latency': return latencyChart(run, latencyMin, latencyMax);
      case 'cdf': return cdfChart(run, cdfMax);
      case 'endpoint-share': return shareChart(run, run.endpointShare, 'Traffic share per endpoint');
      case 'version-share': return shareChart(run, run.versionShare, 'Traffic share per version');
      case 'ejections': return ejectionChart(run);
      case 'rollout': return rolloutChart(run);
      case 'rejections': return rejectionChart(run, rejectionMax);
      default: return null;
    }
  }

  function widthOf(el) {
    return Math.max(320, el.clientWidth);
  }

  Array.prototype.forEach.call(document.querySelectorAll('.sy-chart'), function (el) {
    var which = el.getAttribute('data-run');
    var run = which === 'all' ? model.runs[0] : model.runs[Number(which)];
    var kind = el.getAttribute('data-chart');
    var spec = run && build(kind, run);
    if (!spec) return;
    spec.opts.width = widthOf(el);
    spec.opts.hooks = {
      drawAxes: [eventShading(spec.opts.events)],
      draw: [function () { el.setAttribute('data-drawn', 'true'); }],
    };
    delete spec.opts.events;
    charts.push({ el: el, plot: new uPlot(spec.opts, spec.data, el) });
  });

  var pending = false;
  window.addEventListener('resize', function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      charts.forEach(function (c) { c.plot.setSize({ width: widthOf(c.el), height: HEIGHT }); });
    });
  });
  document.documentElement.setAttribute('data-sy-charts', String(charts.length));
})();
