/// <reference lib="dom" />
/**
 * The status page's DOM building blocks. Every value from the agent reaches the page through
 * these, as textContent or an attribute value, never as HTML: a failure reason or an input name
 * with markup in it shows as that text.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element of page.ts's markup; a missing one is a bug in the page, so it throws. */
export function byId(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`status page: no element #${id}`);
  return found;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Sets an element's text, and its hover title when given. */
export function setText(id: string, text: string, title?: string): void {
  const e = byId(id);
  e.textContent = text;
  if (title !== undefined) e.title = title;
}

/** A coloured dot and its label: connection and receiver states. */
export function dot(kind: string, text: string): HTMLElement {
  const span = el('span', `dot ${kind}`);
  span.append(el('i'), document.createTextNode(text));
  return span;
}

export function td(text: string, className?: string): HTMLTableCellElement {
  return el('td', className, text);
}

export function tdNode(node: Node): HTMLTableCellElement {
  const cell = el('td');
  cell.append(node);
  return cell;
}
