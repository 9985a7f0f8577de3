// The report's own code, inlined into results/<cluster>/report.html by report-html.ts (browser
// JavaScript, no modules, nothing fetched: the page's Content-Security-Policy allows no network).
// It reads the data from the page's JSON script tag and builds everything with textContent, never
// innerHTML: a metrics or progress value is text, whatever it contains. Charts are one canvas per
// field; each run is one path, the best run on top; hovering names the nearest run and value.
// A strict-mode block, not a wrapping function, keeps every name off the page's global scope.
// biome-ignore lint/suspicious/noRedundantUseStrict: the page runs this as a classic script, not a module
'use strict';
{
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const COLOURS = ['#1f77b4', '#ff7f0e', '#9467bd', '#d62728', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
  const BEST = '#2ca02c';
  const MARGIN = { left: 64, right: 16, top: 12, bottom: 36 };
  const charts = [];
  let selected = -1;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function shortNumber(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '';
    if (typeof v !== 'number') return String(v);
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }

  function colourOf(i) {
    if (data.best && i === data.best.index) return BEST;
    const others = data.runs.length - (data.best ? 1 : 0);
    // Opaque and 1px: a translucent or fractional stroke costs 1,000 runs about three times the time.
    return others > 40 ? '#b8b8c8' : COLOURS[i % COLOURS.length];
  }

  function higherIsBetter(field) {
    return !/loss|err|perplex|mse|mae|rmse|time|_s$/i.test(field);
  }

  function scaleOf(field) {
    let lo = Infinity;
    let hi = -Infinity;
    let first = Infinity;
    let last = -Infinity;
    for (const run of data.runs) {
      const values = run.series[field] || [];
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === null) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        first = Math.min(first, run.epochs[i]);
        last = Math.max(last, run.epochs[i]);
      }
    }
    if (lo > hi) return null;
    const log = !higherIsBetter(field) && lo > 0 && hi / lo >= 100;
    if (lo === hi) {
      const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
    return { lo, hi, log: log && lo > 0, first, last: last === first ? first + 1 : last };
  }

  function project(chart) {
    const { scale, width, height } = chart;
    const t = (v) => (scale.log ? Math.log10(v) : v);
    const w = width - MARGIN.left - MARGIN.right;
    const h = height - MARGIN.top - MARGIN.bottom;
    return {
      x: (e) => MARGIN.left + ((e - scale.first) / (scale.last - scale.first)) * w,
      y: (v) => MARGIN.top + h - ((t(v) - t(scale.lo)) / (t(scale.hi) - t(scale.lo))) * h,
    };
  }

  /** Round tick values: steps of 1, 2 or 5 times a power of ten (log scale: 1, 2, 5 per decade). */
  function ticks(lo, hi, log, count) {
    const out = [];
    if (log) {
      for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++)
        for (const m of hi / lo > 1e4 ? [1] : [1, 2, 5]) {
          const v = m * 10 ** d;
          if (v >= lo && v <= hi) out.push(v);
        }
      return out.length >= 2 ? out : [lo, hi];
    }
    const raw = (hi - lo) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function drawAxes(ctx, chart, p) {
    const { scale, width, height } = chart;
    ctx.strokeStyle = '#ccc';
    ctx.fillStyle = '#444';
    ctx.lineWidth = 1;
    ctx.font = '11px sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of ticks(scale.lo, scale.hi, scale.log, 5)) {
      const y = Math.round(p.y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, y);
      ctx.lineTo(width - MARGIN.right, y);
      ctx.stroke();
      ctx.fillText(shortNumber(v), MARGIN.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const span = scale.last - scale.first;
    const step = Math.max(1, Math.ceil(span / 10));
    for (let e = scale.first; e <= scale.last; e += step) ctx.fillText(String(e), p.x(e), height - MARGIN.bottom + 6);
    ctx.fillText('epoch', (MARGIN.left + width - MARGIN.right) / 2, height - 14);
  }

  function drawRun(ctx, run, field, p, colour, lineWidth) {
    const values = run.series[field];
    if (!values) return 0;
    let marks = 0;
    let open = false;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) {
        open = false;
        continue;
      }
      const x = p.x(run.epochs[i]);
      const y = p.y(v);
      const alone = (i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null);
      if (alone) ctx.fillRect(x - 2, y - 2, 4, 4);
      if (open) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      open = true;
      marks++;
    }
    ctx.stroke();
    return marks;
  }

  /** The base picture (every run), kept as a bitmap so hovering only draws the hovered run on top. */
  function drawBase(chart) {
    const { canvas, field } = chart;
    const ratio = window.devicePixelRatio || 1;
    chart.width = canvas.clientWidth || 800;
    chart.height = canvas.clientHeight || 320;
    canvas.width = Math.round(chart.width * ratio);
    canvas.height = Math.round(chart.height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    const p = project(chart);
    drawAxes(ctx, chart, p);
    let runsDrawn = 0;
    let marks = 0;
    const best = data.best ? data.best.index : -1;
    const order = data.runs.map((_, i) => i).filter((i) => i !== best);
    if (best >= 0) order.push(best);
    for (const i of order) {
      const n = drawRun(ctx, data.runs[i], field, p, colourOf(i), i === best ? 2.5 : 1);
      if (n > 0) runsDrawn++;
      marks += n;
    }
    canvas.dataset.runsDrawn = String(runsDrawn);
    canvas.dataset.marks = String(marks);
    chart.base = ctx.getImageData(0, 0, canvas.width, canvas.height);
    chart.project = p;
  }

  function drawHighlight(chart, index) {
    const ctx = chart.canvas.getContext('2d');
    ctx.putImageData(chart.base, 0, 0);
    if (index >= 0) drawRun(ctx, data.runs[index], chart.field, chart.project, '#000', 3);
  }

  function nearest(chart, mx, my) {
    const p = chart.project;
    let best = null;
    for (let r = 0; r < data.runs.length; r++) {
      const run = data.runs[r];
      const values = run.series[chart.field];
      if (!values) continue;
      for (let i = 0; i < values.length; i++) {
        if (values[i] === null) continue;
        const dx = p.x(run.epochs[i]) - mx;
        if (Math.abs(dx) > 40) continue;
        const d = dx * dx + (p.y(values[i]) - my) ** 2;
        if (!best || d < best.d) best = { d, r, i };
      }
    }
    return best && best.d < 40 * 40 ? best : null;
  }

  function hover(chart, event) {
    const rect = chart.canvas.getBoundingClientRect();
    const hit = nearest(chart, event.clientX - rect.left, event.clientY - rect.top);
    const tip = chart.tip;
    if (!hit) {
      tip.hidden = true;
      drawHighlight(chart, selected);
      return;
    }
    const run = data.runs[hit.r];
    tip.hidden = false;
    tip.textContent = `${run.label} (${run.ranAs}) · epoch ${run.epochs[hit.i]} · ${chart.field} ${shortNumber(run.series[chart.field][hit.i])}`;
    tip.style.left = `${Math.min(event.clientX - rect.left + 12, chart.width - 260)}px`;
    tip.style.top = `${event.clientY - rect.top + 12}px`;
    drawHighlight(chart, hit.r);
  }

  function legend(field) {
    const box = el('div', { class: 'legend' });
    const best = data.best ? data.best.index : -1;
    const shown = data.runs.length <= 40 ? data.runs.map((_, i) => i) : best >= 0 ? [best] : [];
    for (const i of shown) {
      const item = el('button', { type: 'button', class: i === best ? 'item best' : 'item' });
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = colourOf(i);
      item.append(swatch, document.createTextNode(`${i === best ? 'best: ' : ''}${data.runs[i].label}`));
      item.addEventListener('click', () => select(i === selected ? -1 : i));
      box.append(item);
    }
    if (shown.length < data.runs.length)
      box.append(
        el(
          'span',
          { class: 'more' },
          `${data.runs.length - shown.length} other runs in grey (hover a line, or click a table row)`,
        ),
      );
    if (best >= 0) box.dataset.field = field;
    return box;
  }

  function chartSection(field) {
    const section = el('section', { class: 'chart' });
    section.append(el('h2', {}, `${field} per epoch`));
    const scale = scaleOf(field);
    if (!scale) {
      section.append(el('p', { class: 'note' }, `no run has a number for ${field}`));
      return section;
    }
    const wrap = el('div', { class: 'plot' });
    const canvas = el('canvas', {
      'data-field': field,
      role: 'img',
      'aria-label': `${field} per epoch, one line per run`,
    });
    const tip = el('div', { class: 'tip' });
    tip.hidden = true;
    wrap.append(canvas, tip);
    section.append(wrap, legend(field));
    if (scale.log) section.append(el('p', { class: 'note' }, 'log scale: the values span two decades or more'));
    const chart = { canvas, field, scale, tip };
    charts.push(chart);
    canvas.addEventListener('mousemove', (e) => hover(chart, e));
    canvas.addEventListener('mouseleave', () => {
      tip.hidden = true;
      drawHighlight(chart, selected);
    });
    return section;
  }

  function select(index) {
    selected = index;
    for (const chart of charts) drawHighlight(chart, index);
    for (const row of document.querySelectorAll('tr[data-run]'))
      row.classList.toggle('selected', Number(row.dataset.run) === index);
  }

  function compare(a, b, numeric) {
    if (a === b) return 0;
    if (a === null || a === '') return 1;
    if (b === null || b === '') return -1;
    return numeric ? Number(a) - Number(b) : String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function tableSection() {
    const { columns, rows } = data.table;
    const section = el('section', {});
    section.append(el('h2', {}, 'runs'));
    const table = el('table', { class: 'runs' });
    const head = el('tr', {});
    const body = el('tbody', {});
    let order = rows.map((_, i) => i);
    let sortBy = -1;
    let descending = false;
    const limit = data.table.limit;
    function fill() {
      body.replaceChildren();
      for (const i of order.slice(0, limit)) {
        const row = rows[i];
        const tr = el('tr', { 'data-run': String(row.run) });
        if (data.best && row.run === data.best.index) tr.classList.add('best');
        row.cells.forEach((cell, c) => {
          tr.append(
            el('td', columns[c].numeric ? { class: 'num' } : {}, columns[c].numeric ? shortNumber(cell) : cell),
          );
        });
        tr.addEventListener('click', () => select(row.run === selected ? -1 : row.run));
        body.append(tr);
      }
    }
    columns.forEach((column, c) => {
      const th = el('th', {});
      const button = el('button', { type: 'button', title: 'sort' }, column.label);
      button.addEventListener('click', () => {
        descending = sortBy === c ? !descending : false;
        sortBy = c;
        order = rows.map((_, i) => i).sort((a, b) => compare(rows[a].cells[c], rows[b].cells[c], column.numeric));
        if (descending) order.reverse();
        for (const other of head.querySelectorAll('th')) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        fill();
      });
      th.append(button);
      head.append(th);
    });
    table.append(el('thead', {}, null), body);
    table.tHead.append(head);
    fill();
    section.append(table);
    if (rows.length > limit)
      section.append(
        el(
          'p',
          { class: 'note' },
          `${limit} of ${rows.length} rows shown (sort to see others); results.csv has every row`,
        ),
      );
    return section;
  }

  function problemsSection() {
    const section = el('section', {});
    section.append(el('h2', {}, 'holds and failures'));
    if (data.problems.length === 0) {
      section.append(el('p', {}, 'none: every run completed with exit code 0'));
      return section;
    }
    const list = el('ul', { class: 'problems' });
    for (const p of data.problems) {
      const item = el('li', {});
      item.append(el('strong', {}, `${p.ranAs} (${p.label}) ${p.kind}: `), document.createTextNode(p.reason));
      if (p.hint) item.append(el('div', { class: 'hint' }, `hint: ${p.hint}`));
      list.append(item);
    }
    section.append(list);
    return section;
  }

  function build() {
    const main = document.getElementById('report');
    main.replaceChildren();
    main.append(el('h1', {}, data.title));
    main.append(el('p', { class: 'sub' }, data.subtitle));
    if (data.notes.length > 0) {
      const notes = el('ul', { class: 'notes' });
      for (const note of data.notes) notes.append(el('li', {}, note));
      main.append(notes);
    }
    if (data.fields.length === 0)
      main.append(el('p', { class: 'note' }, 'no run printed a progress line yet: no curves to draw'));
    for (const field of data.fields) main.append(chartSection(field));
    main.append(tableSection(), problemsSection());
    for (const chart of charts) drawBase(chart);
    // When the page was ready, from navigation start (the bench reads it).
    document.body.dataset.readyAt = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const chart of charts) drawBase(chart);
      select(selected);
    }, 100);
  });
  build();
}
