/**
 * GET /: the status page, Spark's Streaming tab for one agent. One self-contained HTML document:
 * the styles (styles.ts) and the script (client/, bundled at build time: see client-bundle.d.ts)
 * are inlined, so the page needs nothing but the agent's own /api/status and /api/batches: no
 * CDN, no font, no file outside dist/. Its Content-Security-Policy allows only the inlined style
 * and script (by nonce) and requests to the agent itself, so neither a bug nor an injected value
 * can make the browser fetch anything else.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_PAGE_SCRIPT } from './client-bundle.js';
import { STATUS_PAGE_CSS } from './styles.js';

export interface StatusPageResponse {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The page with a fresh nonce, and the headers it must be served with. */
export function statusPageResponse(): StatusPageResponse {
  const nonce = randomBytes(16).toString('base64');
  return {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    },
    body: renderStatusPage(nonce),
  };
}

export function renderStatusPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>sidestream</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STATUS_PAGE_CSS}</style>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true"></span><span>sidestream</span></div>
  <h1 id="app-name">…</h1>
  <span id="state" class="badge warn">Loading</span>
  <div class="meta">
    <span>batch interval <b id="interval">–</b></span>
    <span>uptime <b id="uptime">–</b></span>
    <span id="ready" class="warn-text">–</span>
    <span id="version" class="muted"></span>
    <span id="updated" class="muted"></span>
  </div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<div id="readiness" class="notice" role="status" hidden></div>
<main>
  <section class="cards" aria-label="summary">
    <div class="card" id="card-rate"><div class="label">Input rate</div><div class="value" id="rate">–</div><div class="sub" id="rate-sub"></div></div>
    <div class="card" id="card-scheduling"><div class="label">Scheduling delay</div><div class="value" id="scheduling">–</div><div class="sub" id="scheduling-sub"></div></div>
    <div class="card" id="card-processing"><div class="label">Processing time</div><div class="value" id="processing">–</div><div class="sub" id="processing-sub"></div></div>
    <div class="card" id="card-total"><div class="label">Total delay</div><div class="value" id="total">–</div><div class="sub" id="total-sub"></div></div>
    <div class="card" id="card-batches"><div class="label">Batches (window)</div><div class="value"><span id="completed">–</span> <span class="small">ok</span> · <span id="failed">–</span> <span class="small">failed</span></div><div class="sub">averages over the batches shown</div></div>
    <div class="card" id="card-waiting"><div class="label">Batches waiting</div><div class="value" id="waiting">–</div><div class="sub">generated, not yet started</div></div>
    <div class="card" id="card-checkpoint"><div class="label">Last checkpoint</div><div class="value" id="checkpoint">–</div><div class="sub">metadata checkpoint</div></div>
  </section>

  <section class="charts">
    <figure class="panel"><figcaption><h2>Input rate</h2><span class="hint">records per second, per batch</span></figcaption><div class="chart" id="chart-rate"></div></figure>
    <figure class="panel"><figcaption><h2>Batch delays</h2><span class="hint">scheduling, processing and total; red lines mark failed batches</span></figcaption><div class="chart" id="chart-delays"></div></figure>
    <figure class="panel"><figcaption><h2>Event-time lag</h2><span class="hint">processing start − event time, per input</span></figcaption><div class="chart" id="chart-lag"></div></figure>
    <figure class="panel"><figcaption><h2>Kafka consumer lag</h2><span class="hint">records behind the high watermark, per partition <span id="kafka-note"></span></span></figcaption><div class="chart" id="chart-kafka"></div></figure>
  </section>

  <section class="panel">
    <h2>Inputs</h2>
    <div class="table-scroll"><table class="grid-table">
      <thead><tr><th>Input</th><th>Connection</th><th>Receiver</th><th>Input errors</th><th class="num">Records (last batch)</th><th class="num">Event-time lag avg</th><th class="num">max</th></tr></thead>
      <tbody id="inputs-body"></tbody>
    </table></div>
  </section>

  <section class="panel" id="kafka-section" hidden>
    <h2>Kafka partitions</h2>
    <div class="table-scroll"><table class="grid-table">
      <thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Lag (records)</th><th class="num">Lag (age)</th><th class="num">Committed lag</th><th class="num">Committed offset</th><th class="num">High watermark</th></tr></thead>
      <tbody id="kafka-body"></tbody>
    </table></div>
  </section>

  <section class="panel">
    <div class="panel-head"><h2>Recent batches</h2><span class="hint" id="batches-note"></span></div>
    <div class="table-scroll">
    <table class="grid-table" id="batches">
      <thead><tr><th>Batch time</th><th>Outcome</th><th class="num">Records</th><th class="num">Scheduling</th><th class="num">Processing</th><th class="num">Total delay</th><th class="num">Tasks (all / failed / retried)</th><th class="num">Output ops</th><th>Failure</th></tr></thead>
      <tbody id="batches-body"></tbody>
    </table>
    </div>
  </section>

  <section class="panel">
    <details><summary><h2>Configuration</h2><span class="hint">secrets redacted</span></summary><pre id="config"></pre></details>
  </section>
</main>
<footer>Served by the sidestream agent · JSON: <a href="/api/status">/api/status</a> · <a href="/api/batches?limit=10">/api/batches</a> · <a href="/metrics">/metrics</a></footer>
<script nonce="${nonce}">${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
