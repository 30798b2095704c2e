/**
 * The status page's stylesheet (src/agent/status-page/styles.ts): the Configuration section's
 * summary is laid out as flex, which drops the browser's disclosure triangle, so it must draw its
 * own marker (turned when open) and show a pointer. test/e2e/status-page.test.ts checks the
 * computed styles in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { STATUS_PAGE_CSS } from '../../../src/agent/status-page/styles.js';

/** The declarations of the rule whose selector is exactly `selector`, by property. */
function rule(selector: string): Map<string, string> {
  for (const match of STATUS_PAGE_CSS.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    if (match[1]?.trim() !== selector) continue;
    const declarations = (match[2] ?? '')
      .split(';')
      .map((d) => d.split(':').map((part) => part.trim()))
      .filter((d): d is [string, string] => d.length >= 2 && d[0] !== '');
    return new Map(declarations.map(([property, ...value]) => [property, value.join(':')]));
  }
  throw new Error(`no rule for ${selector}`);
}

describe('the Configuration disclosure', () => {
  it('shows a pointer over its summary', () => {
    expect(rule('details summary').get('cursor')).toBe('pointer');
  });

  it('draws a marker before the summary, since the flex layout hides the native one', () => {
    expect(rule('details summary').get('display')).toBe('flex');
    const marker = rule('details summary::before').get('content');
    expect(marker).toBeDefined();
    expect(marker).not.toMatch(/^(none|normal|""|'')$/);
  });

  it('turns the marker when open', () => {
    expect(rule('details[open] summary::before').get('transform')).toMatch(/rotate\(90deg\)/);
  });
});
