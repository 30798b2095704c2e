/**
 * The summary cards (src/agent/status-page/client/render-batch-cards.ts), rendered into a stand-in
 * for the page's elements: the failed count is red only when a batch failed, and the batches card
 * is marked then too. A stand-in rather than a browser, because the question is only which text
 * and classes each element gets; test/e2e/status-page.test.ts shows the real page.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderBatchCards } from '../../../src/agent/status-page/client/render-batch-cards.js';
import type { CompletedBatchRecord } from '../../../src/events/index.js';

/** The little of an element the cards touch: its text, title and class list. */
class FakeElement {
  textContent = '';
  title = '';
  readonly classes = new Set<string>();
  readonly classList = {
    toggle: (name: string, on: boolean): boolean => {
      if (on) this.classes.add(name);
      else this.classes.delete(name);
      return on;
    },
  };
}

let elements: Map<string, FakeElement>;

beforeEach(() => {
  elements = new Map();
  vi.stubGlobal('document', {
    getElementById: (id: string) => {
      const found = elements.get(id) ?? new FakeElement();
      elements.set(id, found);
      return found;
    },
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function element(id: string): FakeElement {
  const found = elements.get(id);
  if (!found) throw new Error(`#${id} was never rendered`);
  return found;
}

function batch(batchTime: number, outcome: 'succeeded' | 'failed'): CompletedBatchRecord {
  return {
    app: 'test',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime,
    processingEndTime: batchTime + 20,
    schedulingDelayMs: 0,
    processingDelayMs: 20,
    totalDelayMs: 20,
    numRecords: 10,
    outcome,
    inputs: [],
    outputOperations: [],
    tasks: { total: 1, failed: 0, retried: 0 },
  };
}

describe('renderBatchCards', () => {
  it('shows 0 failed in plain text, not red, when every batch succeeded', () => {
    renderBatchCards([batch(2000, 'succeeded'), batch(1000, 'succeeded')], 1000);
    expect(element('completed').textContent).toBe('2');
    expect(element('failed').textContent).toBe('0');
    expect(element('failed').classes.has('bad-text')).toBe(false);
    expect(element('card-batches').classes.has('alert')).toBe(false);
  });

  it('shows the failed count in red, and marks the card, once a batch failed', () => {
    renderBatchCards([batch(3000, 'failed'), batch(2000, 'succeeded'), batch(1000, 'failed')], 1000);
    expect(element('completed').textContent).toBe('1');
    expect(element('failed').textContent).toBe('2');
    expect(element('failed').classes.has('bad-text')).toBe(true);
    expect(element('card-batches').classes.has('alert')).toBe(true);
  });

  it('turns the count plain again when the failed batches have left the window', () => {
    renderBatchCards([batch(1000, 'failed')], 1000);
    expect(element('failed').classes.has('bad-text')).toBe(true);
    renderBatchCards([batch(2000, 'succeeded')], 1000);
    expect(element('failed').textContent).toBe('0');
    expect(element('failed').classes.has('bad-text')).toBe(false);
  });

  it('shows 0 failed in plain text before the first batch', () => {
    renderBatchCards([], 1000);
    expect(element('failed').textContent).toBe('0');
    expect(element('failed').classes.has('bad-text')).toBe(false);
  });
});
