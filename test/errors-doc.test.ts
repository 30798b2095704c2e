/**
 * docs/errors.md documents every code of the error catalogue, and only those: one `## CODE`
 * section per code, whose **Remedy** and **Retriable** lines agree with ERROR_CODES (fastify's
 * pattern), and `retriable` means one thing: the remedy is a retry.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/index.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** Section heading -> section text, for every `## ` heading of the page. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^## +/m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const heading = (newline === -1 ? part : part.slice(0, newline)).trim();
    out.set(heading, newline === -1 ? '' : part.slice(newline + 1));
  }
  return out;
}

const documented = sections(doc);
const codes = Object.keys(ERROR_CODES);

describe('docs/errors.md', () => {
  it('has a section for every code in ERROR_CODES', () => {
    const missing = codes.filter((code) => !documented.has(code));
    expect(missing, 'codes without a "## CODE" section in docs/errors.md').toEqual([]);
  });

  it('lists no code that ERROR_CODES does not have', () => {
    const unknown = [...documented.keys()].filter((heading) => !Object.hasOwn(ERROR_CODES, heading));
    expect(unknown, 'sections of docs/errors.md that name no existing code').toEqual([]);
  });

  it("states each code's remedy and retriable flag as the catalogue does, and what it means and what to do", () => {
    const wrong: string[] = [];
    for (const [code, { retriable, remedy }] of Object.entries(ERROR_CODES)) {
      if (retriable !== (remedy === 'retry'))
        wrong.push(`${code}: retriable ${retriable} but remedy ${remedy}`);
      const text = documented.get(code);
      if (text === undefined) continue;
      const statedRemedy = /\*\*Remedy:\*\*\s*(retry|replan|stop)\b/.exec(text)?.[1];
      if (statedRemedy !== remedy) wrong.push(`${code}: remedy is ${remedy}, doc says ${statedRemedy}`);
      const stated = /\*\*Retriable:\*\*\s*(yes|no)\b/i.exec(text)?.[1]?.toLowerCase();
      if (stated !== (retriable ? 'yes' : 'no'))
        wrong.push(`${code}: retriable is ${retriable}, doc says ${stated}`);
      if (!/\*\*Meaning:\*\*\s*\S/.test(text)) wrong.push(`${code}: no **Meaning:**`);
      if (!/\*\*What to do:\*\*\s*\S/.test(text)) wrong.push(`${code}: no **What to do:**`);
    }
    expect(wrong).toEqual([]);
  });
});
