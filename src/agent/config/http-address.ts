/**
 * The agent's HTTP address, `HOST:PORT`: its type, its parser (shared by the `http` setting and
 * `sidestream status --http`) and its default.
 */

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_HTTP: HttpAddress = { host: '127.0.0.1', port: 9464 };

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/;

/** Parses `HOST:PORT` (`[::1]:9464` for IPv6); port 0 asks the OS for a free port. */
export function parseHttpAddress(input: string): HttpAddress | undefined {
  const m = HOST_PORT.exec(input.trim());
  if (!m) return undefined;
  // One of the two host groups always matched; the check only tells the type so.
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (host === undefined || port > 65_535) return undefined;
  return { host, port };
}
