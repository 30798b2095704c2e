/**
 * Where the Graphite exporter sends: `tcp://HOST:PORT` or `udp://HOST:PORT` (`[::1]` for IPv6),
 * as the agent's `--graphite` flag, SIDESTREAM_GRAPHITE and the config file's `graphite.url` give it.
 */

export interface GraphiteTarget {
  readonly protocol: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
}

const GRAPHITE_URL = /^(tcp|udp):\/\/(?:\[([^\]]+)\]|([^:/\s[\]]+)):(\d{1,5})\/?$/;

/** Parses `tcp://HOST:PORT` or `udp://HOST:PORT` (`[::1]` for IPv6); undefined when malformed. */
export function parseGraphiteUrl(input: string): GraphiteTarget | undefined {
  const m = GRAPHITE_URL.exec(input.trim());
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65_535) return undefined;
  // The pattern's host is either bracketed (group 2) or bare (group 3), never neither.
  const host = m[2] ?? m[3] ?? '';
  return { protocol: m[1] as 'tcp' | 'udp', host, port };
}
