/**
 * Property, end to end through the real transports: random line streams (valid UTF-8, invalid
 * bytes, \r\n, empty lines, lines around the bound) cut at random points and sent (a) over a
 * real local TCP connection to the socket receiver, (b) appended in random pieces to a real file
 * the file tail follows. Every line within the bound comes out exactly once and in order with
 * its text; every over-long line is reported exactly once at its exact position and never
 * delivered; nothing stalls (the lines after an over-long one arrive).
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileTailReceiver } from '../../src/sources/file-tail-receiver.js';
import { SocketReceiver } from '../../src/sources/socket-receiver.js';
import { CollectingSupervisor } from '../support/collecting-supervisor.js';
import { lineStreamArb, modelOf, splitAt } from '../support/line-streams.js';
import { waitFor } from '../support/manual-run.js';

const streamArb = fc.integer({ min: 16, max: 40 }).chain((bound) =>
  fc.record({
    bound: fc.constant(bound),
    lines: fc.array(lineStreamArb(bound), { minLength: 1, maxLength: 20 }),
    tail: fc.option(fc.uint8Array({ minLength: 1, maxLength: bound + 6 }), { nil: undefined }),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
  }),
);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noNewline = (bytes: Uint8Array | undefined) => bytes?.map((x) => (x === 0x0a ? 0x0b : x));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-text-prop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('text receivers (property, real transports)', () => {
  it('the socket receiver: each line within the bound once, in order; each longer one reported once', async () => {
    let send: (socket: Socket) => void = () => {};
    const server: Server = createServer((socket) => send(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      await fc.assert(
        fc.asyncProperty(streamArb, async ({ bound, lines, tail, cuts }) => {
          const model = modelOf(lines, bound, noNewline(tail));
          send = (socket) => {
            socket.setNoDelay(true);
            void (async () => {
              for (const chunk of splitAt(model.bytes, cuts)) {
                await new Promise((r) => socket.write(chunk, r));
                await pause(1);
              }
              socket.end();
            })();
          };
          const receiver = new SocketReceiver('127.0.0.1', address.port, { maxLineBytes: bound });
          const supervisor = new CollectingSupervisor<string>();
          receiver.attachSupervisor(supervisor);
          receiver.onStart();
          try {
            // The peer closing the connection is the end: the receiver asks for a restart.
            await waitFor(() => supervisor.restarts.length > 0, 5000, 'the end of the connection');
          } finally {
            supervisor.stopped = true;
            receiver.onStop();
          }
          // The socket's last line needs no newline: the end of the connection ends it.
          expect(supervisor.stored).toEqual(model.lines.filter((l) => !l.rejected).map((l) => l.text));
          expect(supervisor.recordErrors.map((e) => [e.errorType, e.details?.position])).toEqual(
            model.lines
              .filter((l) => l.rejected)
              .map((l) => ['LineTooLong', `line ${l.number} of connection 1 (from byte ${l.startByte})`]),
          );
          expect(supervisor.errors).toEqual([]);
        }),
        { numRuns: 25 },
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('the file tail: each complete line within the bound once, in order; each longer one reported once', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        streamArb,
        fc.integer({ min: 8, max: 64 }),
        fc.array(fc.nat({ max: 3 }), { minLength: 12, maxLength: 12 }),
        async ({ bound, lines, tail, cuts }, maxReadBytes, waits) => {
          const model = modelOf(lines, bound, noNewline(tail));
          const file = join(dir, `tail-${run++}.log`);
          await writeFile(file, '');
          const receiver = new FileTailReceiver(file, undefined, {
            startAt: 'beginning',
            pollIntervalMs: 4,
            maxReadBytes,
            maxLineBytes: bound,
          });
          const supervisor = new CollectingSupervisor<string>();
          receiver.attachSupervisor(supervisor);
          receiver.onStart();
          const complete = model.lines.filter((l) => l.terminated);
          const delivered = complete.filter((l) => !l.rejected).map((l) => l.text);
          // An unfinished last line is never delivered; it is reported once it passes the bound.
          const rejected = model.lines.filter((l) => l.rejected && (l.terminated || l.rawLength > bound + 1));
          try {
            for (const [i, piece] of splitAt(model.bytes, cuts).entries()) {
              await appendFile(file, piece);
              await pause(waits[i % waits.length] ?? 0);
            }
            await waitFor(
              () =>
                supervisor.stored.length >= delivered.length &&
                supervisor.recordErrors.length >= rejected.length,
              5000,
              'every line of the file',
            );
            await pause(30); // several more polls: a line read twice would show now
          } finally {
            supervisor.stopped = true;
            receiver.onStop();
          }
          expect(supervisor.stored).toEqual(delivered);
          expect(supervisor.recordErrors.map((e) => [e.errorType, e.details?.position])).toEqual(
            rejected.map((l) => ['LineTooLong', `byte ${l.startByte} of ${file}`]),
          );
          expect(supervisor.errors).toEqual([]);
        },
      ),
      { numRuns: 15 },
    );
  });
});
