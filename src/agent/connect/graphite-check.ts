/**
 * `validate --connect` for the `graphite` setting. TCP: carbon must accept a connection (nothing
 * is sent). UDP cannot be checked: a datagram gets no answer whether or not carbon listens, so
 * the line says so rather than claiming ok; only the host name is resolved.
 */
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import type { GraphiteTarget } from '../../telemetry/exporters/graphite/graphite-target.js';
import type { CheckProgress, ConnectCheck } from './connect-check.js';

export function graphiteCheck(url: string, target: GraphiteTarget): ConnectCheck {
  return {
    target: `graphite ${url}`,
    service: 'carbon',
    run: (progress) =>
      target.protocol === 'tcp' ? tcpConnects(target, progress) : udpResolves(target, progress),
  };
}

function tcpConnects(target: GraphiteTarget, progress: CheckProgress): Promise<void> {
  progress.step(`connecting to ${target.host}:${target.port}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    const abort = () => socket.destroy();
    progress.signal.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => {
      progress.report('ok', 'carbon accepts TCP connections');
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
    socket.once('close', () => progress.signal.removeEventListener('abort', abort));
  });
}

async function udpResolves(target: GraphiteTarget, progress: CheckProgress): Promise<void> {
  progress.step(`resolving ${target.host}`);
  const { address } = await lookup(target.host);
  progress.report(
    'skip',
    `not checked: UDP gets no answer, so nothing tells whether carbon listens on ${address}:${target.port}; use a tcp:// URL to have it checked`,
  );
}
