/** Stateful operators over many batches, against hand-computed running totals. */
import { describe, expect, it } from 'vitest';
import type { State } from '../../src/index.js';
import { asObject, collect } from '../support/collect.js';
import { type ManualContext, manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const manualContext = manualContexts();

function context(): ManualContext {
  return manualContext({ appName: 'state', batchIntervalMs: 1000, defaultParallelism: 3 });
}

describe('updateStateByKey', () => {
  it('keeps running totals across 12 batches and removes keys the update drops', async () => {
    const { ssc, clock } = context();
    // Batch i (1-based): x gets i; y gets 1 on even batches; z appears in batch 1 only.
    const batches = Array.from({ length: 12 }, (_, k) => {
      const i = k + 1;
      const b: [string, number][] = [['x', i]];
      if (i % 2 === 0) b.push(['y', 1]);
      if (i === 1) b.push(['z', 5]);
      return b;
    });
    interface Acc {
      sum: number;
      idle: number;
    }
    const totals = collect(
      ssc.queueStream(batches).updateStateByKey<string, number, Acc>((values, state) => {
        const idle = values.length === 0 ? (state?.idle ?? 0) + 1 : 0;
        if (idle >= 2) return undefined; // idle two batches in a row: forget the key
        return { sum: (state?.sum ?? 0) + values.reduce((a, b) => a + b, 0), idle };
      }),
    );
    const run = await startManual(ssc, clock);
    await run.step(12);
    for (let i = 1; i <= 12; i++) {
      const got = asObject(totals.get(i * 1000));
      expect(got.x?.sum, `x after batch ${i}`).toBe((i * (i + 1)) / 2);
      expect(got.y?.sum ?? 0, `y after batch ${i}`).toBe(Math.floor(i / 2));
      // z: sum 5 after batch 1, idle 1 after batch 2, removed from batch 3 on.
      expect(got.z?.sum, `z after batch ${i}`).toBe(i <= 2 ? 5 : undefined);
    }
  });

  it('keeps state through batches with no input at all', async () => {
    const { ssc, clock } = context();
    const totals = collect(
      ssc
        .queueStream<[string, number]>([[['k', 2]], [], [], [['k', 3]]])
        .updateStateByKey<string, number, number>((vs, s) => (s ?? 0) + vs.reduce((a, b) => a + b, 0)),
    );
    const run = await startManual(ssc, clock);
    await run.step(5);
    expect([1000, 2000, 3000, 4000, 5000].map((t) => asObject(totals.get(t)).k)).toEqual([2, 2, 2, 5, 5]);
  });

  it('advances every key exactly once per batch even when the output reads one partition', async () => {
    const { ssc, clock } = context();
    const calls = new Map<number, number>();
    let batch = 0;
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const state = ssc
      .queueStream(Array.from({ length: 20 }, () => keys.map((k): [string, number] => [k, 1])))
      .updateStateByKey<string, number, number>((vs, s) => {
        calls.set(batch, (calls.get(batch) ?? 0) + 1);
        return (s ?? 0) + vs.length;
      });
    state.print(1); // reads only the first partition
    ssc.addStreamingListener({ onBatchStarted: (b) => (batch = b.batchTime) });
    const printed: number[][] = [];
    state.foreachRDD(async (rdd, t) => {
      if (t === 20_000) printed.push((await rdd.collect()).map(([, v]) => v));
    });
    const run = await startManual(ssc, clock);
    for (let i = 0; i < 20; i++) await run.step();
    // One update per key per batch: no batch recomputes an earlier batch's state.
    expect([...calls.values()]).toEqual(Array.from({ length: 20 }, () => 12));
    expect(printed[0]).toEqual(Array.from({ length: 12 }, () => 20));
  });
});

describe('mapWithState', () => {
  it('maps each record with its key state, times out idle keys, and snapshots the state', async () => {
    const { ssc, clock } = context();
    const events = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['a', 1],
        ['b', 1],
      ],
      [['a', 1]],
    ]);
    const stateful = events.mapWithState({
      timeoutMs: 2000,
      update: (key: string, value: number | undefined, state: State<number>) => {
        if (state.isTimingOut()) return `${key}:timeout`;
        const next = (state.getOption() ?? 0) + (value ?? 0);
        state.update(next);
        return `${key}:${next}`;
      },
    });
    const mapped = collect(stateful);
    const snapshots = collect(stateful.stateSnapshots());
    const run = await startManual(ssc, clock);
    await run.step(5);
    expect(mapped.get(1000)).toEqual(['a:1', 'a:2', 'b:1']);
    expect(mapped.get(2000)).toEqual(['a:3']);
    expect(mapped.get(3000)).toEqual([]); // b idle 2s: not yet past the 2s timeout
    expect(mapped.get(4000)).toEqual(['b:timeout']);
    expect(mapped.get(5000)).toEqual(['a:timeout']);
    expect(asObject(snapshots.get(2000))).toEqual({ a: 3, b: 1 });
    expect(asObject(snapshots.get(4000))).toEqual({ a: 3 });
    expect(asObject(snapshots.get(5000))).toEqual({});
  });

  it('state.remove() forgets a key immediately', async () => {
    const { ssc, clock } = context();
    const stateful = ssc
      .queueStream<[string, string]>([[['k', 'set']], [['k', 'remove']], [['k', 'read']]])
      .mapWithState({
        update: (_k: string, v: string | undefined, state: State<string>) => {
          if (v === 'set') state.update('v');
          if (v === 'remove') state.remove();
          return `${v}:${state.exists()}`;
        },
      });
    const mapped = collect(stateful);
    const run = await startManual(ssc, clock);
    await run.step(3);
    expect([mapped.get(1000), mapped.get(2000), mapped.get(3000)]).toEqual([
      ['set:true'],
      ['remove:false'],
      ['read:false'],
    ]);
  });
});
