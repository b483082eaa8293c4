// Draws a merchant report's charts from the numbers embedded in the page (data-report), with
// Apache ECharts as SVG. A suppressed number (null) is never drawn as a bar or a point: it keeps
// its place on the axis labelled "fewer than k", a chart whose every number is suppressed or that
// has nothing to show says so in words, and a chart that leaves some out names them below it.
(function () {
  'use strict';
  const holder = document.getElementById('report');
  if (!holder || typeof echarts === 'undefined') {
    return;
  }
  const r = JSON.parse(holder.dataset.report);
  if (r.suppressed) {
    return;
  }
  const hidden = 'fewer than ' + r.k;
  const label = (s) => String(s).replace(/_/g, ' ');
  const chartEl = (id) => document.getElementById(id);

  // In place of a chart: a sentence, marked so that a test (or a screen reader) can tell why.
  const state = (id, kind, text) => {
    const el = chartEl(id);
    el.classList.add('chart-state', 'chart-' + kind);
    el.dataset.state = kind;
    el.textContent = text;
  };
  const allSuppressed = (id) =>
    state(id, 'suppressed', 'Suppressed: every group here has ' + hidden + ' people.');

  // Under a chart that drew some numbers and left others out.
  const note = (id, names) => {
    if (names.length === 0) {
      return;
    }
    const p = document.createElement('p');
    p.className = 'chart-note';
    const tag = document.createElement('span');
    tag.className = 'suppressed';
    tag.textContent = hidden;
    p.append(tag, ' (not drawn): ' + names.join(', '));
    chartEl(id).after(p);
  };

  const draw = (id, option) => {
    const chart = echarts.init(chartEl(id), null, { renderer: 'svg' });
    chart.setOption(Object.assign({ animation: false, tooltip: {} }, option));
    window.addEventListener('resize', () => chart.resize());
  };

  // Horizontal bars of [name, value] pairs; a null value keeps its row, labelled, with no bar.
  const bars = (id, pairs, opts) => {
    const o = opts || {};
    if (pairs.length === 0) {
      state(id, 'empty', o.empty || 'Nothing to show for this audience.');
      return;
    }
    if (pairs.every(([, v]) => v == null)) {
      allSuppressed(id);
      return;
    }
    // Room for every row's (possibly wrapped) label.
    chartEl(id).style.height = Math.max(280, pairs.length * 48 + 40) + 'px';
    draw(id, {
      grid: { left: 10, right: 30, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: 'value', splitNumber: 4 },
      yAxis: {
        type: 'category', inverse: true, data: pairs.map(([n]) => label(n)),
        axisLabel: { width: 190, overflow: 'break', lineHeight: 13 },
      },
      series: [{
        type: 'bar',
        data: pairs.map(([, v]) => (v == null
          ? { value: 0, label: { show: true, position: 'right', formatter: hidden,
            color: '#8a5a00', backgroundColor: '#fff4d6', padding: [1, 4] } }
          : v)),
        markLine: o.markAt == null ? undefined
          : { data: [{ xAxis: o.markAt }], symbol: 'none', label: { formatter: String(o.markAt) } },
      }],
    });
  };
  const entries = (obj) => Object.entries(obj || {});

  bars('chart-platforms', entries(r.platforms));

  const aipl = r.aipl || {};
  const stages = ['awareness', 'interest', 'purchase', 'loyalty'];
  const shown = stages.filter((s) => aipl[s] != null);
  if (shown.length === 0) {
    allSuppressed('chart-aipl');
  } else {
    draw('chart-aipl', {
      series: [{
        type: 'funnel', sort: 'none', left: '5%', width: '60%',
        label: { formatter: (p) => p.name + ': ' + p.value },
        data: shown.map((s) => ({ name: s, value: aipl[s] })),
      }],
    });
    note('chart-aipl', stages.filter((s) => aipl[s] === null));
  }

  bars('chart-movement', (r.aipl_movement || []).map((m) => [m.from + ' → ' + m.to, m.users]), {
    empty: 'No movement to show: nobody changed stage since the previous profiles run, or this is the first run.',
  });

  const rfm = r.rfm || {};
  const scores = ['1', '2', '3', '4', '5', 'none'];
  const parts = [['r_score', 'R'], ['f_score', 'F'], ['m_score', 'M']];
  const cells = parts.flatMap(([k, n]) => scores.map((s) => [n + ' ' + s, (rfm[k] || {})[s]]));
  if (cells.every(([, v]) => v == null)) {
    allSuppressed('chart-rfm');
  } else {
    draw('chart-rfm', {
      legend: { top: 0 },
      grid: { left: 10, right: 20, top: 30, bottom: 10, containLabel: true },
      xAxis: { type: 'category', data: scores },
      yAxis: { type: 'value' },
      series: parts.map(([k, n]) => ({
        name: n, type: 'bar', data: scores.map((s) => (rfm[k] || {})[s] ?? '-'),
      })),
    });
    note('chart-rfm', cells.filter(([, v]) => v === null).map(([n]) => n));
  }

  bars('chart-cities', (r.cities || []).map((c) => [c.city, c.users]));

  const heat = (r.heatmap || []).map((v, i) => [i % 24, Math.floor(i / 24),
    v == null ? '-' : Math.round(v * 10000) / 100]);
  if (heat.length === 0 || heat.every((h) => h[2] === '-')) {
    allSuppressed('chart-heatmap');
  } else {
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const top = Math.max(...heat.filter((h) => h[2] !== '-').map((h) => h[2]));
    draw('chart-heatmap', {
      tooltip: { formatter: (p) => days[p.value[1]] + ' ' + p.value[0] + ':00 · '
        + p.value[2] + ' % of their activity' },
      grid: { left: 10, right: 20, top: 10, bottom: 60, containLabel: true },
      xAxis: { type: 'category', data: [...Array(24).keys()].map(String) },
      yAxis: { type: 'category', data: days },
      visualMap: { min: 0, max: top, precision: 1, orient: 'horizontal', left: 'center',
        bottom: 0, calculable: true, text: [top.toFixed(1) + ' % of activity', '0 %'] },
      series: [{ type: 'heatmap', data: heat }],
    });
  }

  bars('chart-interests', (r.interests || []).map((i) => [i.vertical, i.tgi]), { markAt: 100 });

  bars('chart-personas', entries(r.personas));

  const look = r.lookalike || [];
  const points = look.filter((p) => p.users != null);
  if (look.length === 0) {
    state('chart-lookalike', 'empty', 'No lookalikes were computed for this merchant.');
  } else if (points.length === 0) {
    allSuppressed('chart-lookalike');
  } else {
    draw('chart-lookalike', {
      grid: { left: 10, right: 20, top: 10, bottom: 30, containLabel: true },
      xAxis: { type: 'value', name: 'similarity ≥', nameLocation: 'middle', nameGap: 25,
        inverse: true, min: 0.3, max: 0.9 },
      yAxis: { type: 'value' },
      series: [{ type: 'line', data: points.map((p) => [p.similarity, p.users]) }],
    });
    note('chart-lookalike', look.filter((p) => p.users == null)
      .map((p) => 'similarity ≥ ' + p.similarity));
  }
})();
