/**
 * UdpConnection with a host name: one lookup per flush, however many datagrams the flush takes,
 * and a failed lookup keeps the lines for the next flush (real UDP socket on 127.0.0.1).
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphiteConnectionEvents } from '../../src/telemetry/exporters/graphite/graphite-connection.js';
import { LineBuffer } from '../../src/telemetry/exporters/graphite/line-buffer.js';
import { type LookupAddress, UdpConnection } from '../../src/telemetry/exporters/graphite/udp-connection.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function server(): Promise<{ port: number; lines: () => string[] }> {
  const socket = dgram.createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (m) => datagrams.push(m.toString()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => socket.close());
  return { port: socket.address().port, lines: () => datagrams.join('').split('\n').filter(Boolean) };
}

function recorder(): GraphiteConnectionEvents & { errors: unknown[]; sent: number } {
  const r = {
    errors: [] as unknown[],
    sent: 0,
    onError: (e: unknown) => r.errors.push(e),
    onDropped: () => {},
    onSent: (n: number) => {
      r.sent += n;
    },
    onConnect: () => {},
    onProgress: () => {},
  };
  return r;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** 100 lines of 40 bytes: three datagrams of at most 1,400 bytes. */
function fill(buffer: LineBuffer, from: number): void {
  for (let i = from; i < from + 100; i++)
    buffer.push(`sidestream.app.metric_${String(i).padStart(6, '0')} 1 5`);
}

/** A connection to `localhost:port` through `lookup`, its buffer holding 100 lines. */
function connectionTo(port: number, lookup: LookupAddress) {
  const buffer = new LineBuffer(1000);
  const events = recorder();
  const connection = new UdpConnection({ host: 'localhost', port }, buffer, events, lookup);
  cleanup.push(() => void connection.close());
  fill(buffer, 0);
  return { buffer, events, connection };
}

describe('UdpConnection to a host name', () => {
  it('looks the name up once per flush, not once per datagram', async () => {
    const { port, lines } = await server();
    const names: string[] = [];
    const lookup: LookupAddress = (host, family, callback) => {
      names.push(host);
      dns.lookup(host, { family }, callback);
    };
    const { buffer, events, connection } = connectionTo(port, lookup);
    connection.pump();
    await until(() => lines().length === 100);
    fill(buffer, 100);
    connection.pump();
    await until(() => lines().length === 200);
    expect(events.errors).toEqual([]);
    expect(events.sent).toBe(200);
    // Each flush took several datagrams (3 of 1,400 bytes for 100 lines of 40 bytes).
    expect(names).toEqual(['localhost', 'localhost']);
    expect(lines()[199]).toBe('sidestream.app.metric_000199 1 5');
  });

  it('reports a failed lookup and keeps the lines for the next flush', async () => {
    const { port, lines } = await server();
    let fail = true;
    const lookup: LookupAddress = (host, family, callback) => {
      if (fail) {
        setImmediate(() =>
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), ''),
        );
        return;
      }
      dns.lookup(host, { family }, callback);
    };
    const { buffer, events, connection } = connectionTo(port, lookup);
    connection.pump();
    await until(() => events.errors.length === 1);
    expect((events.errors[0] as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    expect(buffer.size).toBe(100);
    fail = false;
    connection.pump();
    await until(() => lines().length === 100);
    expect(buffer.size).toBe(0);
    expect(events.sent).toBe(100);
  });
});
