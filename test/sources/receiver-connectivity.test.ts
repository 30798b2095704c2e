/**
 * The built-in receivers' connections against real sockets and files: what /readyz, /api/status
 * and sidestream_input_connected read (connected, the reason, the last answer) and the
 * input-connectivity events, once per change: a refused socket retried many times is one
 * disconnection; a silent but open socket stays connected; a tailed file that goes missing for a
 * moment (a rotation) is no disconnection, one that stays missing is, until it is back.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type InputConnectivity, type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const stopLater = stopAfterEach();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function listenOn(port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return server;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function context() {
  const ssc = stopLater(new StreamingContext({ appName: 'conn', batchIntervalMs: 100 }));
  const events: SourceEvent[] = [];
  ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
  const connectivity = () =>
    events
      .filter((e): e is InputConnectivity => e.type === 'input-connectivity')
      .map((e) => [e.connected, e.reason] as const);
  return { ssc, connectivity };
}

describe('socketTextStream connection', () => {
  it('a refused port: one disconnection however many retries, the reason in readiness; a server, and it connects', async () => {
    const port = await freePort();
    const { ssc, connectivity } = context();
    ssc
      .socketTextStream('127.0.0.1', port, { restartDelayMs: 20, maxRestartDelayMs: 40 })
      .foreachRDD(() => {});
    const source = ssc.graph.inputs[0]!.source;
    const receiverErrors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => receiverErrors.push(e.message ?? '') });
    await ssc.start();
    await waitFor(() => receiverErrors.length >= 4, 5000, 'four refused attempts');
    expect(source.connected).toBe(false);
    expect(source.disconnectedReason).toMatch(/ECONNREFUSED/);
    expect(source.lastResponseMs).toBeUndefined();
    expect(connectivity()).toHaveLength(1);
    expect(connectivity()[0]![0]).toBe(false);
    expect(connectivity()[0]![1]).toMatch(
      new RegExp(`^error on socket 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    await waitFor(() => ssc.recentBatches().length > 0, 5000, 'a batch');
    expect(ssc.readiness.reasons.join('\n')).toMatch(
      new RegExp(`input socket:127\\.0\\.0\\.1:${port} is not connected: .*ECONNREFUSED`),
    );

    // The sender comes up and stays silent: connected, and it stays so.
    await listenOn(port, () => {});
    await waitFor(() => source.connected === true, 5000, 'the connect');
    expect(connectivity()).toEqual([connectivity()[0], [true, 'connected']]);
    const connectedAt = source.lastResponseMs;
    expect(connectedAt).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(source.connected).toBe(true);
    expect(ssc.ready).toBe(true);
  });

  it('every read is an answer from the upstream', async () => {
    let peer: Socket | undefined;
    const port = await freePort();
    await listenOn(port, (socket) => {
      peer = socket;
    });
    const { ssc } = context();
    ssc.socketTextStream('127.0.0.1', port).foreachRDD(() => {});
    const source = ssc.graph.inputs[0]!.source;
    await ssc.start();
    await waitFor(() => peer !== undefined && source.connected === true, 5000, 'the connect');
    const first = source.lastResponseMs ?? 0;
    await new Promise((r) => setTimeout(r, 30));
    peer?.write('hello\n');
    await waitFor(() => (source.lastResponseMs ?? 0) > first, 5000, 'the read');
  });
});

describe('fileTailStream connection', () => {
  it('a file missing for a few polls is no disconnection; missing for longer is one, until it is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ss-tail-conn-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'app.log');
    const { ssc, connectivity } = context();
    ssc.fileTailStream(path, { pollIntervalMs: 50 }).foreachRDD(() => {});
    const source = ssc.graph.inputs[0]!.source;
    await ssc.start();
    expect(source.connected).toBe(false);
    // Absent from the start: pending for the first polls (a rotation would be over by then)...
    await waitFor(() => source.disconnectedReason !== `opening ${path}`, 5000, 'the first poll');
    expect(source.disconnectedReason).toBe(`${path} does not exist`);
    expect(connectivity()).toEqual([]);
    // ...then a disconnection, announced once.
    await waitFor(() => connectivity().length === 1, 5000, 'the disconnection');
    expect(connectivity()).toEqual([[false, `${path} does not exist`]]);
    await new Promise((r) => setTimeout(r, 200));
    expect(connectivity()).toHaveLength(1);

    await writeFile(path, 'one\n');
    await waitFor(() => source.connected === true, 5000, 'the file');
    expect(connectivity()).toEqual([
      [false, `${path} does not exist`],
      [true, 'connected'],
    ]);
    // Each poll is an answer, whether or not the file grew.
    const seen = source.lastResponseMs ?? 0;
    await waitFor(() => (source.lastResponseMs ?? 0) > seen, 5000, 'a later poll');
    await appendFile(path, 'two\n');
    expect(source.connected).toBe(true);
  });
});
