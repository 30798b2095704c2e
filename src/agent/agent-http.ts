/**
 * What run-agent hands the HTTP endpoint: the context as its source, the status (agent-status.ts)
 * and the token. Also where an exposed, unguarded endpoint is reported: binding to a non-loopback
 * address without a token is allowed (a sidecar in a pod is reached on the pod IP, behind a
 * NetworkPolicy) but warned about loudly, since the page and the API are then open to anyone who
 * can reach the port.
 */
import type { StreamingContext } from '../streaming-context.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { AgentStatus } from './agent-status.js';
import type { AgentConfig } from './config.js';
import { isLoopbackHost } from './http-auth.js';
import type { AgentHttpServerOptions } from './http-server.js';
import { warn as warnLog } from './report-error.js';

export interface AgentHttpInputs {
  readonly config: AgentConfig;
  readonly ssc: StreamingContext;
  readonly version: string;
  readonly metrics: MetricsRegistry;
  /** Where the warning goes; default the agent's log at level warn. */
  readonly warn?: (message: string) => void;
}

export function agentHttpOptions({
  config,
  ssc,
  version,
  metrics,
  warn = warnLog,
}: AgentHttpInputs): AgentHttpServerOptions {
  const status = new AgentStatus({ config, ssc, version });
  if (!isLoopbackHost(config.http.host) && config.httpToken === undefined) {
    warn(
      `WARNING: the HTTP endpoint listens on ${config.http.host}:${config.http.port}, which other machines can reach, ` +
        'and no token is set: anyone who reaches the port can read the status page and /api/*. ' +
        'Set SIDESTREAM_HTTP_TOKEN (or httpToken in the config file), or bind to 127.0.0.1 (see docs/deployment.md)',
    );
  }
  return {
    address: config.http,
    metrics,
    source: ssc,
    status: () => status.snapshot(),
    ...(config.httpToken === undefined ? {} : { token: config.httpToken }),
  };
}
