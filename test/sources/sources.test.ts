/** Built-in inputs against real sockets and files; the generator against its own arithmetic. */
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CompletedBatchRecord,
  ManualClock,
  type ReceiverEvent,
  StreamingContext,
} from '../../src/index.js';
import { startManual, waitFor } from '../support/manual-run.js';

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

describe('socketTextStream', () => {
  it('counts every word sent over a real TCP connection exactly', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `w${i % 7} w${i % 3} common`);
    const expected = new Map<string, number>();
    for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
    const { port } = await listen((socket) => {
      // Write in uneven chunks so lines straddle TCP segments, with \r\n on some lines.
      const text = lines.map((l, i) => (i % 5 === 0 ? `${l}\r\n` : `${l}\n`)).join('');
      let offset = 0;
      const pump = () => {
        if (offset >= text.length) return socket.end();
        socket.write(text.slice(offset, offset + 977));
        offset += 977;
        setTimeout(pump, 2);
      };
      pump();
    });
    ssc = new StreamingContext({ appName: 'sock', batchIntervalMs: 100, defaultParallelism: 2 });
    const counts = new Map<string, number>();
    ssc
      .socketTextStream('127.0.0.1', port, { restartDelayMs: 60_000 })
      .flatMap((l) => l.split(' '))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        for (const [w, n] of await rdd.collect()) counts.set(w, (counts.get(w) ?? 0) + n);
      });
    await ssc.start();
    const total = lines.length * 3;
    await waitFor(() => [...counts.values()].reduce((a, b) => a + b, 0) >= total, 10_000, 'all words');
    await ssc.stop({ graceful: true });
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected));
  });

  it('a graceful stop processes the lines the receiver had already received', async () => {
    let client: Socket | undefined;
    const { port } = await listen((socket) => {
      client = socket;
    });
    ssc = new StreamingContext({ appName: 'sock', batchIntervalMs: 2000 });
    const got: string[] = [];
    ssc.socketTextStream('127.0.0.1', port).foreachRDD(async (rdd) => {
      got.push(...(await rdd.collect()));
    });
    await ssc.start();
    await waitFor(
      () => client !== undefined && ssc!.graph.inputs[0]!.source.connected === true,
      5000,
      'connection',
    );
    client!.write('one\ntwo\nthree\n');
    await new Promise((r) => setTimeout(r, 100));
    // Stop long before the next 2 s batch: the three lines must still be processed.
    expect(await ssc.stop({ graceful: true, timeoutMs: 5000 })).toBe(true);
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('reports a refused connection as a receiver error and reconnects when the server appears', async () => {
    const probe = await listen(() => {});
    const port = probe.port;
    await new Promise<void>((resolve) => probe.server.close(() => resolve()));
    const errors: ReceiverEvent[] = [];
    const started: ReceiverEvent[] = [];
    ssc = new StreamingContext({ appName: 'sock', batchIntervalMs: 100 });
    ssc.addStreamingListener({
      onReceiverError: (e) => errors.push(e),
      onReceiverStarted: (e) => started.push(e),
    });
    const got: string[] = [];
    ssc.socketTextStream('127.0.0.1', port, { restartDelayMs: 50 }).foreachRDD(async (rdd) => {
      got.push(...(await rdd.collect()));
    });
    await ssc.start();
    await waitFor(() => errors.length > 0, 5000, 'a receiver error');
    expect(errors[0]!.message).toMatch(/ECONNREFUSED|error on socket/);
    expect(ssc.ready).toBe(false);
    const server = createServer((socket) => socket.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await waitFor(() => got.includes('hello'), 5000, 'the line after reconnecting');
    expect(started.length).toBeGreaterThan(1);
  });
});

describe('textFileStream', () => {
  it('reads each file moved into the directory exactly once, ignoring hidden files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ss-files-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    ssc = new StreamingContext({ appName: 'files', batchIntervalMs: 100 });
    const lines: string[] = [];
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => batches.push(b) });
    ssc.textFileStream(dir).foreachRDD(async (rdd) => {
      lines.push(...(await rdd.collect()));
    });
    await ssc.start();
    await writeFile(join(dir, '.inprogress'), 'hidden\n');
    await writeFile(join(dir, 'a.tmp-out'), 'one\ntwo\n');
    await rename(join(dir, 'a.tmp-out'), join(dir, 'a.txt'));
    await waitFor(() => lines.length >= 2, 5000, 'first file');
    await writeFile(join(dir, 'b.txt'), 'three\r\nfour');
    await waitFor(() => lines.length >= 4, 5000, 'second file');
    await waitFor(() => batches.length >= 3, 5000, 'more batches');
    expect(lines.sort()).toEqual(['four', 'one', 'three', 'two']);
    expect(batches.reduce((n, b) => n + b.numRecords, 0)).toBe(4);
  });

  it('fails start with a clear error when the directory does not exist', async () => {
    ssc = new StreamingContext({ appName: 'files', batchIntervalMs: 100 });
    ssc.textFileStream('/nonexistent/dir').foreachRDD(() => {});
    await expect(ssc.start()).rejects.toThrow(/cannot read directory \/nonexistent\/dir/);
  });
});

describe('generatorStream', () => {
  it('produces ratePerSec events per second with event times lagging by the configured amount', async () => {
    const clock = new ManualClock(0);
    ssc = new StreamingContext({ appName: 'gen', batchIntervalMs: 500, clock, defaultParallelism: 2 });
    const keys = new Set<string>();
    ssc.generatorStream({ ratePerSec: 1000, keys: 7, eventTimeLagMs: 2000 }).foreachRDD(async (rdd) => {
      for (const e of await rdd.collect()) keys.add(e.key);
    });
    const run = await startManual(ssc, clock);
    const batches = [];
    for (let i = 0; i < 4; i++) batches.push(...(await run.step()));
    expect(batches.map((b) => b.numRecords)).toEqual([500, 500, 500, 500]);
    expect(keys.size).toBe(7);
    const lag = batches[1]!.inputs[0]!.eventTimeLagMs!;
    // Arrivals are spread over the interval before the batch: lag is 2000 plus 0..500 ms.
    expect(lag.max).toBe(2500 - 1);
    expect(lag.avg).toBeGreaterThan(2000);
    expect(lag.avg).toBeLessThan(2500);
  });

  it('rejects a negative rate with the field named', () => {
    ssc = new StreamingContext({ appName: 'gen', batchIntervalMs: 500 });
    expect(() => ssc!.generatorStream({ ratePerSec: -1 })).toThrow(/ratePerSec must be a number >= 0/);
  });
});

describe('outputs', () => {
  it('print writes Spark-style blocks with the batch time and an ellipsis past n', async () => {
    const clock = new ManualClock(0);
    const printed: string[] = [];
    ssc = new StreamingContext({
      appName: 'p',
      batchIntervalMs: 1000,
      clock,
      output: (t) => printed.push(t),
    });
    ssc.queueStream([[1, 2, 3]]).print(2);
    const run = await startManual(ssc, clock);
    await run.step();
    const rule = '-------------------------------------------';
    expect(printed.join('')).toBe(`${rule}\nTime: 1000 ms\n${rule}\n1\n2\n...\n\n`);
  });

  it('saveAsTextFiles writes one part file per partition and _SUCCESS per batch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ss-save-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const clock = new ManualClock(0);
    ssc = new StreamingContext({ appName: 'p', batchIntervalMs: 1000, clock, defaultParallelism: 2 });
    ssc.queueStream<unknown>([['a', 'b', 'c'], [{ x: 1 }]]).saveAsTextFiles(join(dir, 'out'), 'txt');
    const run = await startManual(ssc, clock);
    await run.step(2);
    expect((await readdir(dir)).sort()).toEqual(['out-1000.txt', 'out-2000.txt']);
    expect((await readdir(join(dir, 'out-1000.txt'))).sort()).toEqual([
      '_SUCCESS',
      'part-00000',
      'part-00001',
    ]);
    const text =
      (await readFile(join(dir, 'out-1000.txt', 'part-00000'), 'utf8')) +
      (await readFile(join(dir, 'out-1000.txt', 'part-00001'), 'utf8'));
    expect(text).toBe('a\nb\nc\n');
    expect(await readFile(join(dir, 'out-2000.txt', 'part-00001'), 'utf8')).toBe('{"x":1}\n');
  });
});
