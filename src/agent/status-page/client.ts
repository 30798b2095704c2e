/// <reference lib="dom" />
/**
 * The status page's script. It runs in the browser, not in the agent: page.ts inlines
 * `statusPageClient.toString()`, so this one function must be self-contained (no imports at
 * run time, no module-level helpers; type imports are erased). It polls /api/status and
 * /api/batches, and draws small SVG charts and tables by hand: no library, no network access
 * beyond the agent's own API (the page's Content-Security-Policy enforces that too). Every
 * value from the agent reaches the DOM through textContent or an SVG attribute, never as HTML.
 */
import type { CompletedBatchRecord } from '../../events/index.js';
import type { AgentStatusSnapshot } from '../agent-status.js';

export function statusPageClient(): void {
  type Point = readonly [number, number];
  interface Series {
    readonly name: string;
    readonly color: string;
    readonly points: readonly Point[];
    readonly area?: boolean;
    readonly dashed?: boolean;
  }
  type Unit = 'ms' | 'rate' | 'count' | 'seconds';
  interface ChartSpec {
    readonly series: readonly Series[];
    readonly unit: Unit;
    readonly reference?: { readonly value: number; readonly label: string };
    readonly failures?: readonly number[];
    readonly empty: string;
  }

  const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#dc2626'];
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const TABLE_ROWS = 50;

  const byId = (id: string): HTMLElement => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`status page: no element #${id}`);
    return el;
  };
  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className?: string,
    text?: string,
  ): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = (tag: string, attrs: Record<string, string | number>): SVGElement => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };

  // ---- formatting ------------------------------------------------------------------------------

  const fmtNumber = (n: number): string => {
    const a = Math.abs(n);
    if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
    if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
    if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
    if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
    return n.toFixed(a >= 10 ? 1 : 2);
  };
  const fmtMs = (ms: number | null | undefined): string => {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
    if (ms === 0) return '0 ms';
    const a = Math.abs(ms);
    if (a < 1) return `${ms.toFixed(2)} ms`;
    if (a < 1000) return `${Math.round(ms)} ms`;
    // Seconds up to ten minutes: axis ticks (50 s, 100 s, 150 s) stay round numbers.
    if (a < 600_000) return `${Number((ms / 1000).toFixed(a < 10_000 ? 2 : a < 60_000 ? 1 : 0))} s`;
    if (a < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
    return `${(ms / 3_600_000).toFixed(1)} h`;
  };
  const fmtUnit = (value: number, unit: Unit): string =>
    unit === 'ms'
      ? fmtMs(value)
      : unit === 'seconds'
        ? fmtMs(value * 1000)
        : unit === 'rate'
          ? `${fmtNumber(value)}/s`
          : fmtNumber(value);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const fmtClock = (t: number, withMs = false): string => {
    const d = new Date(t);
    const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return withMs ? `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}` : hms;
  };
  const fmtAge = (ms: number): string => {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
  };
  const avg = (xs: readonly number[]): number | null =>
    xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

  /** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
  const niceStep = (raw: number): number => {
    const p = 10 ** Math.floor(Math.log10(raw));
    const f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  };

  // ---- charts ----------------------------------------------------------------------------------

  const drawChart = (host: HTMLElement, spec: ChartSpec): void => {
    host.replaceChildren();
    const all = spec.series.flatMap((s) => s.points);
    const legend = el('div', 'legend');
    for (const s of spec.series) {
      const item = el('span', `legend-item${s.dashed ? ' dashed' : ''}`);
      const swatch = el('span', 'swatch');
      swatch.style.background = s.color;
      item.append(swatch, document.createTextNode(s.name));
      legend.append(item);
    }
    if (spec.reference) {
      const item = el('span', 'legend-item reference');
      item.append(el('span', 'swatch'), document.createTextNode(spec.reference.label));
      legend.append(item);
    }
    if (all.length === 0) {
      host.append(el('div', 'chart-empty', spec.empty));
      return;
    }
    host.append(legend);

    const width = Math.max(280, host.clientWidth || 560);
    const height = 190;
    const m = { top: 10, right: 14, bottom: 24, left: 62 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    let x0 = Math.min(...all.map((p) => p[0]));
    let x1 = Math.max(...all.map((p) => p[0]));
    if (x1 - x0 < 1000) {
      x0 -= 500;
      x1 += 500;
    }
    const yMaxRaw = Math.max(...all.map((p) => p[1]), spec.reference?.value ?? 0, 0);
    const step = yMaxRaw > 0 ? niceStep(yMaxRaw / 4) : 1;
    const y1 = yMaxRaw > 0 ? Math.ceil(yMaxRaw / step) * step : 1;
    const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * plotW;
    const sy = (y: number): number => m.top + plotH - (Math.max(0, y) / y1) * plotH;

    const root = svg('svg', {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      class: 'chart-svg',
      role: 'img',
    });
    const grid = svg('g', { class: 'grid' });
    for (let v = 0; v <= y1 + step / 2; v += step) {
      const y = sy(v);
      grid.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y }));
      const label = svg('text', { x: m.left - 8, y: y + 4, 'text-anchor': 'end', class: 'tick' });
      label.textContent = fmtUnit(v, spec.unit);
      grid.append(label);
    }
    const xTicks = Math.max(2, Math.min(6, Math.floor(plotW / 110)));
    for (let i = 0; i <= xTicks; i++) {
      const t = x0 + ((x1 - x0) * i) / xTicks;
      const label = svg('text', {
        x: sx(t),
        y: height - 6,
        'text-anchor': i === 0 ? 'start' : i === xTicks ? 'end' : 'middle',
        class: 'tick',
      });
      // Sub-second ticks on a short window would repeat the same second: show tenths then.
      label.textContent = (x1 - x0) / xTicks < 2000 ? fmtClock(t, true).slice(0, -2) : fmtClock(t);
      grid.append(label);
    }
    root.append(grid);

    if (spec.reference) {
      const y = sy(spec.reference.value);
      root.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y, class: 'reference-line' }));
    }
    for (const s of spec.series) {
      if (s.points.length === 0) continue;
      const pts = [...s.points].sort((a, b) => a[0] - b[0]);
      const d = pts
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
        .join('');
      if (s.area) {
        const first = pts[0]!;
        const last = pts[pts.length - 1]!;
        root.append(
          svg('path', {
            d: `${d}L${sx(last[0]).toFixed(1)},${sy(0)}L${sx(first[0]).toFixed(1)},${sy(0)}Z`,
            fill: s.color,
            class: 'area',
          }),
        );
      }
      root.append(
        svg('path', {
          d,
          stroke: s.color,
          class: `series${s.dashed ? ' dashed' : ''}`,
          'data-series': s.name,
          'data-points': pts.length,
        }),
      );
      if (pts.length <= 90) {
        for (const p of pts)
          root.append(svg('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.2, fill: s.color, class: 'point' }));
      }
    }
    for (const t of spec.failures ?? []) {
      root.append(svg('line', { x1: sx(t), x2: sx(t), y1: m.top, y2: m.top + plotH, class: 'failure-line' }));
    }

    // Hover: a guide line and the values of every series at the nearest batch.
    const guide = svg('line', { y1: m.top, y2: m.top + plotH, class: 'guide', visibility: 'hidden' });
    root.append(guide);
    const overlay = svg('rect', { x: m.left, y: m.top, width: plotW, height: plotH, class: 'overlay' });
    root.append(overlay);
    const tip = el('div', 'tooltip');
    tip.hidden = true;
    const xs = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
    overlay.addEventListener('mousemove', (event) => {
      const box = root.getBoundingClientRect();
      const px = ((event as MouseEvent).clientX - box.left) * (width / box.width);
      const t = x0 + ((px - m.left) / plotW) * (x1 - x0);
      let nearest = xs[0]!;
      for (const x of xs) if (Math.abs(x - t) < Math.abs(nearest - t)) nearest = x;
      guide.setAttribute('x1', String(sx(nearest)));
      guide.setAttribute('x2', String(sx(nearest)));
      guide.setAttribute('visibility', 'visible');
      tip.replaceChildren(el('div', 'tooltip-time', `batch ${fmtClock(nearest, true)}`));
      for (const s of spec.series) {
        const p = s.points.find((q) => q[0] === nearest);
        if (!p) continue;
        const row = el('div', 'tooltip-row');
        const swatch = el('span', 'swatch');
        swatch.style.background = s.color;
        row.append(
          swatch,
          el('span', 'tooltip-name', s.name),
          el('span', 'tooltip-value', fmtUnit(p[1], spec.unit)),
        );
        tip.append(row);
      }
      tip.hidden = false;
      const left = (sx(nearest) / width) * box.width;
      tip.style.left = `${Math.min(left + 12, box.width - 200)}px`;
    });
    overlay.addEventListener('mouseleave', () => {
      guide.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    });
    const frame = el('div', 'chart-frame');
    frame.append(root, tip);
    host.append(frame);
  };

  // ---- rendering -------------------------------------------------------------------------------

  let lastStatus: AgentStatusSnapshot | null = null;
  let lastBatches: CompletedBatchRecord[] = [];

  const setText = (id: string, text: string, title?: string): void => {
    const e = byId(id);
    e.textContent = text;
    if (title !== undefined) e.title = title;
  };

  const renderStatus = (s: AgentStatusSnapshot): void => {
    document.title = `${s.app} · sidestream`;
    setText('app-name', s.app);
    setText('version', `sidestream ${s.version}`);
    const badge = byId('state');
    const [label, kind] =
      s.state === 'active'
        ? s.ready
          ? ['Running', 'ok']
          : ['Starting', 'warn']
        : s.state === 'stopping'
          ? ['Stopping', 'warn']
          : s.state === 'stopped'
            ? ['Stopped', 'bad']
            : ['Initializing', 'warn'];
    badge.textContent = label;
    badge.className = `badge ${kind}`;
    setText('uptime', fmtAge(s.uptimeSeconds * 1000));
    setText('interval', fmtMs(s.batchIntervalMs));
    setText('ready', s.ready ? 'ready' : 'not ready');
    byId('ready').className = s.ready ? 'ok-text' : 'warn-text';
    setText('waiting', String(s.batchesWaiting));
    byId('card-waiting').classList.toggle('alert', s.batchesWaiting > 1);
    if (!s.checkpoint.enabled) setText('checkpoint', 'off', 'no checkpoint directory configured');
    else if (s.checkpoint.last)
      setText(
        'checkpoint',
        `${fmtAge(s.now - s.checkpoint.last.time)} ago`,
        `batch ${fmtClock(s.checkpoint.last.batchTime)}, ${fmtNumber(s.checkpoint.last.bytes)} bytes`,
      );
    else setText('checkpoint', 'none yet');
    byId('card-checkpoint').classList.toggle('alert', s.checkpoint.enabled && s.checkpoint.failures > 0);

    const inputs = byId('inputs-body');
    inputs.replaceChildren();
    const newest = lastBatches[0];
    for (const input of s.inputs) {
      const tr = el('tr');
      const inRecord = newest?.inputs.find((i) => i.streamId === input.streamId);
      const conn =
        input.connected === null
          ? el('span', 'muted', 'n/a')
          : input.connected
            ? dot('ok', 'connected')
            : dot('bad', 'disconnected');
      const recv = input.receiver
        ? dot(
            input.receiver.state === 'started' ? 'ok' : input.receiver.state === 'error' ? 'bad' : 'warn',
            input.receiver.state + (input.receiver.errors > 0 ? ` (${input.receiver.errors} errors)` : ''),
          )
        : el('span', 'muted', 'none (direct)');
      if (input.receiver?.lastError) recv.title = input.receiver.lastError;
      tr.append(
        td(input.name, 'mono'),
        tdNode(conn),
        tdNode(recv),
        td(inRecord ? fmtNumber(inRecord.numRecords) : '–', 'num'),
        td(fmtMs(inRecord?.eventTimeLagMs?.avg), 'num'),
        td(fmtMs(inRecord?.eventTimeLagMs?.max), 'num'),
      );
      inputs.append(tr);
    }

    const kafka = byId('kafka-section');
    const partitions = s.kafka?.partitions ?? [];
    kafka.hidden = partitions.length === 0;
    const body = byId('kafka-body');
    body.replaceChildren();
    for (const p of [...partitions].sort((a, b) => b.lagRecords - a.lagRecords)) {
      const tr = el('tr');
      if (p.lagRecords > 0) tr.className = 'lagging';
      tr.append(
        td(p.topic, 'mono'),
        td(String(p.partition), 'num'),
        td(fmtNumber(p.lagRecords), 'num'),
        td(p.lagSeconds === null ? '–' : fmtMs(p.lagSeconds * 1000), 'num'),
        td(String(p.committedOffset), 'num mono'),
        td(String(p.highWatermark), 'num mono'),
      );
      body.append(tr);
    }
    setText('config', JSON.stringify(s.config, null, 2));
  };

  const dot = (kind: string, text: string): HTMLElement => {
    const span = el('span', `dot ${kind}`);
    span.append(el('i'), document.createTextNode(text));
    return span;
  };
  const td = (text: string, className?: string): HTMLTableCellElement => el('td', className, text);
  const tdNode = (node: Node): HTMLTableCellElement => {
    const cell = el('td');
    cell.append(node);
    return cell;
  };

  const renderBatches = (batches: CompletedBatchRecord[], intervalMs: number): void => {
    const oldestFirst = [...batches].reverse();
    const succeeded = batches.filter((b) => b.outcome === 'succeeded');
    const failed = batches.filter((b) => b.outcome === 'failed');
    const seconds = intervalMs / 1000;

    // Cards.
    const rates = batches.map((b) => b.numRecords / seconds);
    setText('rate', rates.length ? `${fmtNumber(avg(rates)!)}/s` : '–');
    setText(
      'rate-sub',
      rates.length ? `last ${fmtNumber(rates[0]!)}/s · ${batches.length} batches` : 'no batches yet',
    );
    for (const key of ['scheduling', 'processing', 'total'] as const) {
      const values = batches.map((b) => b[`${key}DelayMs`]);
      setText(`${key}`, fmtMs(avg(values)));
      setText(
        `${key}-sub`,
        values.length ? `last ${fmtMs(values[0])} · max ${fmtMs(Math.max(...values))}` : '',
      );
    }
    byId('card-total').classList.toggle('alert', (batches[0]?.totalDelayMs ?? 0) > intervalMs);
    setText('completed', fmtNumber(succeeded.length));
    setText('failed', fmtNumber(failed.length));
    byId('card-batches').classList.toggle('alert', failed.length > 0);

    // Charts.
    const names = new Map<number, string>();
    for (const b of oldestFirst) for (const i of b.inputs) names.set(i.streamId, i.name);
    const perInput = [...names].map(([id, name], n) => ({
      name,
      color: PALETTE[(n + 1) % PALETTE.length]!,
      points: oldestFirst.flatMap((b): Point[] => {
        const i = b.inputs.find((x) => x.streamId === id);
        return i ? [[b.batchTime, i.numRecords / seconds]] : [];
      }),
    }));
    drawChart(byId('chart-rate'), {
      unit: 'rate',
      empty: 'Waiting for the first batch…',
      series: [
        {
          name: 'all inputs',
          color: PALETTE[0]!,
          area: true,
          points: oldestFirst.map((b) => [b.batchTime, b.numRecords / seconds]),
        },
        ...(perInput.length > 1 ? perInput : []),
      ],
    });
    const failures = oldestFirst.filter((b) => b.outcome === 'failed').map((b) => b.batchTime);
    drawChart(byId('chart-delays'), {
      unit: 'ms',
      empty: 'Waiting for the first batch…',
      reference: { value: intervalMs, label: `batch interval (${fmtMs(intervalMs)})` },
      failures,
      // Total first, so the parts it is the sum of are drawn over it.
      series: [
        { name: 'total', color: PALETTE[0]!, points: oldestFirst.map((b) => [b.batchTime, b.totalDelayMs]) },
        {
          name: 'scheduling',
          color: PALETTE[2]!,
          points: oldestFirst.map((b) => [b.batchTime, b.schedulingDelayMs]),
        },
        {
          name: 'processing',
          color: PALETTE[1]!,
          points: oldestFirst.map((b) => [b.batchTime, b.processingDelayMs]),
        },
      ],
    });
    const lagSeries: Series[] = [];
    let n = 0;
    for (const [id, name] of names) {
      const color = PALETTE[n++ % PALETTE.length]!;
      const avgPts: Point[] = [];
      const p99Pts: Point[] = [];
      for (const b of oldestFirst) {
        const lag = b.inputs.find((x) => x.streamId === id)?.eventTimeLagMs;
        if (!lag) continue;
        avgPts.push([b.batchTime, lag.avg]);
        p99Pts.push([b.batchTime, lag.p99]);
      }
      if (avgPts.length === 0) continue;
      lagSeries.push({ name: `${name} avg`, color, points: avgPts });
      lagSeries.push({ name: `${name} p99`, color, points: p99Pts, dashed: true });
    }
    drawChart(byId('chart-lag'), {
      unit: 'ms',
      empty: 'No input reports event time',
      reference: { value: intervalMs, label: 'batch interval' },
      series: lagSeries,
    });
    const partitions = new Map<string, Point[]>();
    for (const b of oldestFirst)
      for (const i of b.inputs)
        for (const p of i.consumerLag ?? []) {
          const key = `${p.topic}-${p.partition}`;
          const pts = partitions.get(key) ?? [];
          pts.push([b.batchTime, p.records]);
          partitions.set(key, pts);
        }
    const top = [...partitions]
      .sort((a, b) => (b[1][b[1].length - 1]?.[1] ?? 0) - (a[1][a[1].length - 1]?.[1] ?? 0))
      .slice(0, PALETTE.length);
    setText(
      'kafka-note',
      partitions.size > top.length ? `the ${top.length} most lagging of ${partitions.size} partitions` : '',
    );
    drawChart(byId('chart-kafka'), {
      unit: 'count',
      empty: 'No Kafka direct stream in this job',
      series: top.map(([key, points], i) => ({ name: key, color: PALETTE[i % PALETTE.length]!, points })),
    });

    // Table: newest first, failures highlighted with their reason.
    const body = byId('batches-body');
    body.replaceChildren();
    for (const b of batches.slice(0, TABLE_ROWS)) {
      const tr = el('tr');
      const isFailed = b.outcome === 'failed';
      if (isFailed) tr.className = 'failed';
      const reason = b.outputOperations
        .map((o) => o.failureReason)
        .filter((r): r is string => r !== null)
        .join('; ');
      const outcome = el('span', `pill ${isFailed ? 'bad' : 'ok'}`, b.outcome);
      const reasonCell = td(reason || '', 'reason');
      if (reason) reasonCell.title = reason;
      tr.append(
        td(fmtClock(b.batchTime, intervalMs < 1000), 'mono'),
        tdNode(outcome),
        td(fmtNumber(b.numRecords), 'num'),
        td(fmtMs(b.schedulingDelayMs), 'num'),
        td(fmtMs(b.processingDelayMs), 'num'),
        td(fmtMs(b.totalDelayMs), `num${b.totalDelayMs > intervalMs ? ' slow' : ''}`),
        td(`${b.tasks.total} / ${b.tasks.failed} / ${b.tasks.retried}`, 'num'),
        td(String(b.outputOperations.length), 'num'),
        reasonCell,
      );
      body.append(tr);
    }
    setText('batches-note', batches.length > TABLE_ROWS ? `newest ${TABLE_ROWS} of ${batches.length}` : '');
  };

  // ---- polling ---------------------------------------------------------------------------------

  const fetchJson = async <T>(path: string): Promise<T> => {
    const res = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const banner = byId('banner');

  const poll = async (): Promise<void> => {
    const intervalMs = lastStatus?.batchIntervalMs ?? 1000;
    // About five minutes of batches for the charts (the agent keeps up to 1000).
    const limit = Math.min(600, Math.max(60, Math.ceil(300_000 / intervalMs)));
    let next = Math.min(5000, Math.max(1000, intervalMs));
    try {
      const [status, batches] = await Promise.all([
        fetchJson<AgentStatusSnapshot>('/api/status'),
        fetchJson<CompletedBatchRecord[]>(`/api/batches?limit=${limit}`),
      ]);
      lastStatus = status;
      lastBatches = batches;
      renderStatus(status);
      renderBatches(batches, status.batchIntervalMs);
      banner.hidden = true;
      setText('updated', `updated ${fmtClock(Date.now())}`);
      document.body.dataset.loaded = 'true';
    } catch (error) {
      banner.hidden = false;
      banner.textContent = `Cannot reach the agent (${error instanceof Error ? error.message : String(error)}); retrying every 5 s. The figures below are from ${lastStatus ? fmtClock(lastStatus.now) : 'never'}.`;
      next = 5000;
    }
    if (!document.hidden) timer = setTimeout(() => void poll(), next);
  };

  document.addEventListener('visibilitychange', () => {
    clearTimeout(timer);
    if (!document.hidden) void poll();
  });
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (lastStatus) renderBatches(lastBatches, lastStatus.batchIntervalMs);
    }, 150);
  });
  void poll();
}
