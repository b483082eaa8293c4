// Draws an experiment's charts from its rows embedded in the page (data-experiment, the same
// numbers as the tables and the JSON export), with Apache ECharts as SVG: each estimate is a
// point with its 95 % interval as a bar.
(function () {
  'use strict';
  const holder = document.getElementById('experiment');
  if (!holder || typeof echarts === 'undefined') {
    return;
  }
  const data = JSON.parse(holder.dataset.experiment);
  const overall = data.rows.filter((r) => r.day == null);
  const daily = data.rows.filter((r) => r.day != null);
  const variants = overall.map((r) => r.variant);
  const colors = ['#5470c6', '#ee6666', '#91cc75', '#fac858', '#73c0de', '#3ba272'];
  const colorOf = (v) => colors[variants.indexOf(v) % colors.length];
  const pct = (x) => (x * 100).toFixed(1) + ' %';

  const state = (id, text) => {
    const el = document.getElementById(id);
    el.classList.add('chart-state', 'chart-empty');
    el.dataset.state = 'empty';
    el.textContent = text;
  };
  const draw = (id, option) => {
    const chart = echarts.init(document.getElementById(id), null, { renderer: 'svg' });
    chart.setOption(Object.assign({ animation: false }, option));
    window.addEventListener('resize', () => chart.resize());
  };

  // An interval as a bar with end caps; data items are [position, low, high], the position an
  // index on the category axis; `horizontal` puts the values on x. `shift` spreads series apart.
  const intervals = (name, items, color, horizontal, shift) => ({
    name, type: 'custom', z: 1, itemStyle: { color },
    encode: horizontal ? { x: [1, 2], y: 0 } : { x: 0, y: [1, 2] },
    data: items,
    renderItem: (params, api) => {
      const at = (value) => {
        const p = api.coord(horizontal ? [value, api.value(0)] : [api.value(0), value]);
        return horizontal ? [p[0], p[1] + shift] : [p[0] + shift, p[1]];
      };
      const a = at(api.value(1));
      const b = at(api.value(2));
      const cap = 6;
      const style = { stroke: color, lineWidth: 2 };
      const capAt = (p) => (horizontal
        ? { x1: p[0], y1: p[1] - cap, x2: p[0], y2: p[1] + cap }
        : { x1: p[0] - cap, y1: p[1], x2: p[0] + cap, y2: p[1] });
      return { type: 'group', children: [
        { type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style },
        { type: 'line', shape: capAt(a), style },
        { type: 'line', shape: capAt(b), style },
      ] };
    },
  });

  // Lift of each variant against control, CTR and use rate, with intervals; 0 marked.
  const lifts = [];
  overall.filter((r) => !r.is_control).forEach((r) => {
    [['CTR', 'ctr_lift'], ['use rate', 'use_lift']].forEach(([label, k]) => {
      if (r[k] != null) {
        lifts.push({ name: r.variant + ' · ' + label, v: r[k], lo: r[k + '_low'],
          hi: r[k + '_high'], color: colorOf(r.variant) });
      }
    });
  });
  if (lifts.length === 0) {
    state('chart-lift', 'No lift to show: no variant has clicks in both it and the control yet.');
  } else {
    draw('chart-lift', {
      tooltip: { trigger: 'item', formatter: (p) => {
        const l = lifts[p.dataIndex];
        // ECharts shows tooltips as HTML: names are escaped.
        return echarts.format.encodeHTML(l.name) + ': ' + pct(l.v) + ' [' + pct(l.lo) + ', '
          + pct(l.hi) + ']';
      } },
      grid: { left: 10, right: 30, top: 10, bottom: 30, containLabel: true },
      // 0 (no difference) always in view, with room on both sides.
      xAxis: { type: 'value', splitNumber: 4,
        min: (r) => Math.min(0, r.min) - 0.1 * (Math.max(0, r.max) - Math.min(0, r.min)),
        max: (r) => Math.max(0, r.max) + 0.1 * (Math.max(0, r.max) - Math.min(0, r.min)),
        axisLabel: { formatter: (x) => Math.round(x * 100) + ' %' } },
      yAxis: { type: 'category', inverse: true, data: lifts.map((l) => l.name),
        axisLabel: { width: 180, overflow: 'break' } },
      series: [
        Object.assign(intervals('interval', lifts.map((l, i) => [i, l.lo, l.hi]), '#5470c6',
          true, 0), { tooltip: { show: false } }),
        { name: 'lift', type: 'scatter', symbolSize: 10, z: 2,
          data: lifts.map((l, i) => ({ value: [l.v, i], itemStyle: { color: l.color } })),
          markLine: { symbol: 'none', silent: true, data: [{ xAxis: 0 }],
            lineStyle: { color: '#1d2433', type: 'dashed' },
            label: { formatter: 'control', position: 'insideEndTop' } } },
      ],
    });
  }

  // CTR per variant and day, with intervals.
  const days = [...new Set(daily.map((r) => r.day))].sort();
  const withCtr = daily.filter((r) => r.ctr != null);
  if (withCtr.length === 0) {
    state('chart-daily', 'No CTR to show yet: no day has clicks and two users in a variant.');
  } else {
    const n = variants.length;
    draw('chart-daily', {
      tooltip: { trigger: 'item' },
      legend: { top: 0, data: variants },
      grid: { left: 10, right: 20, top: 30, bottom: 10, containLabel: true },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', scale: true },
      series: variants.flatMap((v, i) => {
        const rows = withCtr.filter((r) => r.variant === v);
        const shift = (i - (n - 1) / 2) * 12;
        return [
          intervals(v, rows.map((r) => [days.indexOf(r.day), r.ctr_low, r.ctr_high]),
            colorOf(v), false, shift),
          { name: v, type: 'line', symbolOffset: [shift, 0], itemStyle: { color: colorOf(v) },
            data: days.map((d) => {
              const r = rows.find((x) => x.day === d);
              return r ? r.ctr : null;
            }) },
        ];
      }),
    });
  }

  // Users per variant, beside the number its share defines.
  const total = overall.reduce((s, r) => s + r.users, 0);
  draw('chart-users', {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 10, right: 20, top: 30, bottom: 10, containLabel: true },
    xAxis: { type: 'category', data: variants },
    yAxis: { type: 'value' },
    series: [
      { name: 'users', type: 'bar', data: overall.map((r) => r.users) },
      { name: 'as defined', type: 'scatter', symbol: 'diamond', symbolSize: 14,
        data: overall.map((r) => (r.expected_share == null ? null
          : Math.round(total * r.expected_share))) },
    ],
  });
})();
