/**
 * How often the status page polls and how many batches it asks for
 * (src/agent/status-page/client/poll-schedule.ts): about five minutes of batches within 60..600,
 * and a poll every batch interval within 1..5 s.
 */
import { describe, expect, it } from 'vitest';
import { batchesToFetch, pollDelay } from '../../../src/agent/status-page/client/poll-schedule.js';

describe('batchesToFetch', () => {
  it('asks for five minutes of batches', () => {
    expect(batchesToFetch(1000)).toBe(300);
    expect(batchesToFetch(2000)).toBe(150);
    expect(batchesToFetch(700)).toBe(429);
  });

  it('asks for no more than 600 batches and no fewer than 60', () => {
    expect(batchesToFetch(100)).toBe(600);
    expect(batchesToFetch(10_000)).toBe(60);
    expect(batchesToFetch(60_000)).toBe(60);
  });
});

describe('pollDelay', () => {
  it('polls once a batch interval, at most every second and at least every 5 s', () => {
    expect(pollDelay(2000)).toBe(2000);
    expect(pollDelay(250)).toBe(1000);
    expect(pollDelay(60_000)).toBe(5000);
  });
});
