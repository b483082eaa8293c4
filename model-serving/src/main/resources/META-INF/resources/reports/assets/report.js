// Draws a merchant report's charts from the numbers embedded in the page (data-report), with
// Apache ECharts as SVG. Suppressed numbers (null) are left out of the charts; the page says so.
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
  const label = (s) => String(s).replace(/_/g, ' ');
  const draw = (id, option) => {
    const el = document.getElementById(id);
    if (!el) {
      return;
    }
    const chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(Object.assign({ animation: false, tooltip: {} }, option));
    window.addEventListener('resize', () => chart.resize());
  };
  const bars = (id, names, values, extra) =>
    draw(id, Object.assign({
      grid: { left: 110, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: names.map(label), inverse: true },
      series: [{ type: 'bar', data: values }],
    }, extra || {}));

  const platforms = r.platforms || {};
  bars('chart-platforms', Object.keys(platforms), Object.values(platforms));

  const aipl = r.aipl || {};
  draw('chart-aipl', {
    series: [{
      type: 'funnel', sort: 'none', left: '10%', width: '80%',
      label: { formatter: (p) => p.name + ': ' + (p.value == null ? 'suppressed' : p.value) },
      data: ['awareness', 'interest', 'purchase', 'loyalty']
        .map((s) => ({ name: s, value: aipl[s] })).filter((d) => d.value != null),
    }],
  });

  const moves = (r.aipl_movement || []).filter((m) => m.users != null);
  bars('chart-movement', moves.map((m) => m.from + ' → ' + m.to), moves.map((m) => m.users));

  const rfm = r.rfm || {};
  const scores = ['1', '2', '3', '4', '5', 'none'];
  draw('chart-rfm', {
    legend: { top: 0 },
    grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: 'category', data: scores },
    yAxis: { type: 'value' },
    series: ['r_score', 'f_score', 'm_score'].map((k) => ({
      name: k.charAt(0).toUpperCase(), type: 'bar', data: scores.map((s) => (rfm[k] || {})[s]),
    })),
  });

  const cities = (r.cities || []).filter((c) => c.users != null);
  bars('chart-cities', cities.map((c) => c.city), cities.map((c) => c.users));

  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const heat = (r.heatmap || []).map((v, i) => [i % 24, Math.floor(i / 24), v]);
  draw('chart-heatmap', {
    grid: { left: 50, right: 20, top: 10, bottom: 60 },
    xAxis: { type: 'category', data: [...Array(24).keys()].map(String) },
    yAxis: { type: 'category', data: days },
    visualMap: { min: 0, max: Math.max(0.0001, ...heat.map((h) => h[2])), orient: 'horizontal',
      left: 'center', bottom: 0, calculable: true },
    series: [{ type: 'heatmap', data: heat }],
  });

  const interests = r.interests || [];
  bars('chart-interests', interests.map((i) => i.vertical), interests.map((i) => i.tgi), {
    series: [{ type: 'bar', data: interests.map((i) => i.tgi),
      markLine: { data: [{ xAxis: 100 }], symbol: 'none' } }],
  });

  const personas = r.personas || {};
  bars('chart-personas', Object.keys(personas), Object.values(personas));

  const look = (r.lookalike || []).filter((p) => p.users != null);
  draw('chart-lookalike', {
    grid: { left: 60, right: 20, top: 10, bottom: 40 },
    xAxis: { type: 'value', name: 'similarity ≥', nameLocation: 'middle', nameGap: 25, inverse: true,
      min: 0.3, max: 0.9 },
    yAxis: { type: 'value' },
    series: [{ type: 'line', data: look.map((p) => [p.similarity, p.users]) }],
  });
})();
