/**
 * The configuration each metadata checkpoint records (`CheckpointData.config`): what the agent
 * ran with when the checkpoint was written, for diagnosis. It never holds a secret. Nothing reads
 * it back: a restarted agent resolves its configuration, token and credentials included, from its
 * own file, variables and flags, so recovery needs none of it.
 *
 * A row of the configuration table marked `secret` (config/settings.ts) keeps only the fact that
 * it was set, and every value then goes through redact.ts's rules, which also take the
 * user:password@ out of a URL (a Pushgateway or Graphite URL with credentials).
 */
import { REDACTED, redactSecrets } from '../redact.js';
import type { AgentConfig } from './config/agent-config.js';
import { SETTINGS } from './config/settings.js';

export function configSnapshot(config: AgentConfig): Record<string, unknown> {
  const { graphite, ...rest } = config;
  // The Graphite target is the parsed URL: the URL says it all.
  const plain: Record<string, unknown> = { ...rest, ...(graphite ? { graphite: graphite.url } : {}) };
  for (const row of SETTINGS) {
    if (row.secret === true && plain[row.configKey] !== undefined) plain[row.configKey] = REDACTED;
  }
  return redactSecrets(plain) as Record<string, unknown>;
}
