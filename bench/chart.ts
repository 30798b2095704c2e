/**
 * `npm run bench:chart -- <run.json> [out.svg]`: draws the throughput, latency and memory figures
 * of one `npm run bench -- --json <run.json>` run as an SVG (default docs/benchmarks.svg), so the
 * chart in docs/benchmarks.md always shows numbers measured side by side in a single run. Hand-
 * written SVG: no charting dependency for three bar groups.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly note?: string;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly bars: Bar[];
  /** A dashed goal line at this value. */
  readonly goal?: { readonly value: number; readonly label: string };
}

const [input, output = 'docs/benchmarks.svg'] = process.argv.slice(2);
if (!input) {
  console.error('usage: npm run bench:chart -- <run.json from npm run bench -- --json> [out.svg]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(input, 'utf8'));
const panels: Panel[] = [];

const kafka = run.kafka?.throughput;
if (kafka) {
  panels.push({
    title: 'Kafka throughput (k records/s)',
    unit: 'k/s',
    bars: [
      { label: 'raw kafkajs loop', value: kafka.medianRawRate / 1000 },
      {
        label: 'engine, direct stream',
        value: kafka.medianEngineRate / 1000,
        note: `${kafka.medianRatio.toFixed(2)}x`,
      },
    ],
  });
}
const executors = run.executors;
if (executors) {
  const one = executors.runs.find((r: { executors: number }) => r.executors === 1);
  panels.push({
    title: `CPU-heavy map (records/s); bare threads 1 -> 2: ${executors.bare.ratio.toFixed(2)}x`,
    unit: '/s',
    bars: executors.runs.map((r: { executors: number; recordsPerSec: number }) => ({
      label: `${r.executors} executor${r.executors === 1 ? '' : 's'}`,
      value: r.recordsPerSec,
      ...(one && r.executors > 1
        ? { note: `${(r.recordsPerSec / one.recordsPerSec).toFixed(2)}x of 1` }
        : {}),
    })),
  });
}
const latency = run.kafka?.latency ?? [];
if (latency.length > 0) {
  const bars: Bar[] = [];
  for (const l of latency) {
    bars.push({ label: `p50, ${l.batchIntervalMs} ms batches`, value: l.endToEndMs.p50 });
    bars.push({ label: `p99, ${l.batchIntervalMs} ms batches`, value: l.endToEndMs.p99 });
  }
  panels.push({ title: 'Kafka produce -> batch done (ms)', unit: 'ms', bars });
}
const rss = Array.isArray(run.rss) ? run.rss : [];
if (rss.length > 0) {
  const bars: Bar[] = [];
  for (const r of rss) {
    const executors = r.executors.startsWith('default') ? 'default exec.' : `${r.executors} exec.`;
    // Runs before the job was also measured compiled had no `job`: they ran the .ts job.
    const who = `${executors}, .${r.job === 'js' ? 'mjs' : 'ts'}`;
    bars.push({ label: `RSS p50, ${who}`, value: r.rssMB.p50 });
    bars.push({ label: `RSS max, ${who}`, value: r.rssMB.max });
  }
  panels.push({
    title: `Agent memory at ${(rss[0].ratePerSec / 1000).toFixed(0)}k rec/s, backpressure on (MB)`,
    unit: 'MB',
    bars,
    goal: { value: 300, label: 'goal 300 MB' },
  });
}
if (panels.length === 0) {
  console.error(`${input} has no throughput, latency or memory figures (run npm run bench with --json)`);
  process.exit(1);
}

const WIDTH = 760;
const BAR_H = 22;
const LABEL_W = 220;
const PLOT_W = WIDTH - LABEL_W - 140;
const xml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const colours = ['#3572b0', '#e07b39', '#4a9d5b', '#8e6bbf', '#c0504d', '#7f7f7f'];

let y = 40;
const parts: string[] = [];
parts.push(
  `<text x="10" y="22" font-size="15" font-weight="bold">sidestream benchmarks: ${xml(run.machine?.cpu ?? '')}, ` +
    `${run.machine?.cores ?? '?'} cores, ${xml(String(run.date ?? '').slice(0, 10))}</text>`,
);
for (const panel of panels) {
  parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${xml(panel.title)}</text>`);
  y += 24;
  const top = Math.max(...panel.bars.map((b) => b.value), panel.goal?.value ?? 0) * 1.05 || 1;
  const scale = (v: number) => (v / top) * PLOT_W;
  const start = y;
  panel.bars.forEach((bar, i) => {
    const w = Math.max(scale(bar.value), 1);
    parts.push(
      `<text x="${LABEL_W - 6}" y="${y + 15}" font-size="12" text-anchor="end">${xml(bar.label)}</text>`,
    );
    parts.push(
      `<rect x="${LABEL_W}" y="${y + 2}" width="${w.toFixed(1)}" height="${BAR_H - 6}" fill="${colours[i % colours.length]}"/>`,
    );
    const text = `${bar.value >= 100 ? bar.value.toFixed(0) : bar.value.toFixed(1)} ${panel.unit}${bar.note ? ` (${bar.note})` : ''}`;
    parts.push(`<text x="${LABEL_W + w + 5}" y="${y + 15}" font-size="11">${xml(text)}</text>`);
    y += BAR_H;
  });
  if (panel.goal) {
    const x = LABEL_W + scale(panel.goal.value);
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${start}" x2="${x.toFixed(1)}" y2="${y}" stroke="#c00" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${(x + 3).toFixed(1)}" y="${start - 2}" font-size="10" fill="#c00">${xml(panel.goal.label)}</text>`,
    );
  }
  y += 18;
}
const svg =
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ` +
  `font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
writeFileSync(output, svg);
console.log(`wrote ${output} (${panels.length} panels from ${input})`);
