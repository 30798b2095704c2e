/**
 * socketTextStream against hostile lines over a real TCP connection: a line longer than the bound
 * is discarded as it arrives (never buffered whole), reported as a LineTooLong record error with
 * its place on the connection, acknowledged with the lines around it, optionally dead-lettered,
 * and the lines after it are delivered; invalid UTF-8 is replaced in the text only.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordError, type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';

let ssc: StreamingContext | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** Writes `total` bytes of `fill` without ever holding them, obeying the socket's backpressure. */
async function writeFill(socket: Socket, fill: number, total: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  for (let sent = 0; sent < total; ) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
    sent += piece.length;
    if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
  }
}

function recordErrors(events: readonly SourceEvent[]): RecordError[] {
  return events.filter((e): e is RecordError => e.type === 'record-error');
}

describe('socketTextStream line bound', () => {
  it('rejects a line longer than maxLineBytes as a LineTooLong record error and delivers the lines after it', async () => {
    const acks: string[] = [];
    const { port } = await listen((socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => acks.push(...d.split('\n').filter(Boolean)));
      void (async () => {
        socket.write('first\n');
        await writeFill(socket, 0x78, 3 * 1024 * 1024); // 3 MiB > the default 1 MiB bound
        socket.write('\nafter-1\nafter-2\n');
      })();
    });
    const events: SourceEvent[] = [];
    const got: string[] = [];
    ssc = new StreamingContext({ appName: 'sock-lines', batchIntervalMs: 50, tracing: false });
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    ssc
      .socketTextStream('127.0.0.1', port, { ack: true, blockIntervalMs: 20, restartDelayMs: 60_000 })
      .foreachRDD(async (rdd) => {
        got.push(...(await rdd.collect()));
      });
    await ssc.start();
    await waitFor(() => got.length >= 3, 15_000, 'the lines around the over-long one');
    expect(got).toEqual(['first', 'after-1', 'after-2']);
    const rejected = recordErrors(events);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      stream: `socket:127.0.0.1:${port}`,
      errorType: 'LineTooLong',
      position: 'line 2 of connection 1 (from byte 6)',
      deadLettered: false,
    });
    expect(rejected[0]!.reason).toContain('1048576');
    // The rejected line counts as handled: the sender's 4 lines are all acknowledged.
    await waitFor(() => acks.includes('ack 4'), 5000, 'ack 4');
  });

  it('acknowledges a rejected line even when no stored line comes with it', async () => {
    const acks: string[] = [];
    const { port } = await listen((socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => acks.push(...d.split('\n').filter(Boolean)));
      socket.write(`${'z'.repeat(100)}\n`);
    });
    ssc = new StreamingContext({ appName: 'sock-lines', batchIntervalMs: 50, tracing: false });
    ssc
      .socketTextStream('127.0.0.1', port, { ack: true, maxLineBytes: 64, blockIntervalMs: 20 })
      .foreachRDD(async () => {});
    await ssc.start();
    await waitFor(() => acks.includes('ack 1'), 5000, 'ack 1');
  });

  it('replaces invalid UTF-8 in the text of its own line only', async () => {
    const { port } = await listen((socket) => {
      // A multi-byte character cut across writes, invalid bytes, \r\n and an empty line.
      const euro = Buffer.from('€');
      const parts = [
        Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]),
        Buffer.concat([euro.subarray(1), Buffer.from('\r\nbad'), Buffer.from([0xc3])]),
        Buffer.from('\n\nlast\n'),
      ];
      void (async () => {
        for (const p of parts) {
          socket.write(p);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
    });
    const got: string[] = [];
    ssc = new StreamingContext({ appName: 'sock-lines', batchIntervalMs: 50, tracing: false });
    ssc.socketTextStream('127.0.0.1', port, { blockIntervalMs: 20 }).foreachRDD(async (rdd) => {
      got.push(...(await rdd.collect()));
    });
    await ssc.start();
    await waitFor(() => got.length >= 4, 5000, 'four lines');
    expect(got).toEqual(['a€', 'bad\uFFFD', '', 'last']);
  });

  it('dead-letters the first bytes and the length of a rejected line, mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ss-sock-dead-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const deadLetterPath = join(dir, 'rejected.jsonl');
    const { port } = await listen((socket) => {
      void (async () => {
        socket.write('ok\nBIG:');
        await writeFill(socket, 0x41, 200_000);
        socket.write('\nafter\n');
      })();
    });
    const events: SourceEvent[] = [];
    const got: string[] = [];
    ssc = new StreamingContext({ appName: 'sock-lines', batchIntervalMs: 50, tracing: false });
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    ssc
      .socketTextStream('127.0.0.1', port, { maxLineBytes: 1024, deadLetterPath, blockIntervalMs: 20 })
      .foreachRDD(async (rdd) => {
        got.push(...(await rdd.collect()));
      });
    await ssc.start();
    await waitFor(() => got.length >= 2, 10_000, 'the lines around the over-long one');
    expect(got).toEqual(['ok', 'after']);
    expect(recordErrors(events)).toMatchObject([{ errorType: 'LineTooLong', deadLettered: true }]);
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.endsWith('\n') && Date.now() < deadline) {
      text = await readFile(deadLetterPath, 'utf8').catch(() => '');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await stat(deadLetterPath)).mode & 0o777).toBe(0o600);
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      stream: `socket:127.0.0.1:${port}`,
      errorType: 'LineTooLong',
      position: 'line 2 of connection 1 (from byte 3)',
      lengthBytes: 200_004,
      terminated: true,
    });
    const prefix = Buffer.from(entries[0].prefixBase64, 'base64');
    expect(prefix.length).toBe(entries[0].prefixBytes);
    expect(prefix.subarray(0, 6).toString()).toBe('BIG:AA');
    // The first min(4 KiB, maxLineBytes + 1) bytes: never more than the bound holds.
    expect(prefix.length).toBe(1025);
  });

  it('refuses a maxLineBytes outside its documented bounds when the stream is declared', () => {
    ssc = new StreamingContext({ appName: 'sock-lines', batchIntervalMs: 50, tracing: false });
    expect(() => ssc!.socketTextStream('127.0.0.1', 9, { maxLineBytes: 8 })).toThrow(/maxLineBytes/);
    expect(() => ssc!.socketTextStream('127.0.0.1', 9, { maxLineBytes: 2 ** 30 })).toThrow(/maxLineBytes/);
  });
});
