/**
 * `sidestream validate --connect`: after the configuration and the job's graph check out, asks
 * every target the agent would talk to once running whether it answers, without starting the
 * job: each Kafka input's brokers, topics and group (connect/kafka-input-check.ts), the
 * transactional sink a direct stream uses as its offset store (a sink used only inside an output
 * operation is not part of the declared graph, so it cannot be found), Graphite and the
 * Pushgateway. All checks run at once, each bounded by the timeout; one line per thing checked,
 * then a summary line. Exit 1 when any line is a FAIL.
 */
import { redactText } from '../redact.js';
import { KafkaTransactionalSink } from '../sinks/kafka-transactional-sink.js';
import { PostgresTransactionalSink } from '../sinks/postgres-transactional-sink.js';
import { kafkaInputTarget } from '../sources/kafka/kafka-input-target.js';
import type { StreamingContext } from '../streaming-context.js';
import { parseDurationMs } from '../time.js';
import type { AgentConfig } from './config.js';
import type { CheckLine, ConnectCheck } from './connect/connect-check.js';
import { graphiteCheck } from './connect/graphite-check.js';
import { kafkaInputCheck } from './connect/kafka-input-check.js';
import { kafkaSinkCheck } from './connect/kafka-sink-check.js';
import { postgresSinkCheck } from './connect/postgres-sink-check.js';
import { pushgatewayCheck } from './connect/pushgateway-check.js';
import { runConnectChecks } from './connect/run-connect-checks.js';

/** `--connect-timeout`'s default: long enough for a TLS handshake across a region. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** `--connect-timeout`'s value in ms, or why it is not one. */
export function parseConnectTimeout(raw: string): { readonly ms: number } | { readonly problem: string } {
  try {
    const ms = parseDurationMs(raw, '--connect-timeout');
    if (ms > 0) return { ms };
  } catch {
    // Reported below in the usage error's own words.
  }
  return { problem: `--connect-timeout: '${raw}' must be a duration > 0; for example 5s or 500ms` };
}

/** Every target of the configuration and of the job's declared graph, in a stable order. */
export function connectChecks(config: AgentConfig, ssc: StreamingContext | undefined): ConnectCheck[] {
  const checks: ConnectCheck[] = [];
  for (const stream of ssc?.graph.inputs ?? []) {
    const input = kafkaInputTarget(stream.source);
    if (!input) continue;
    checks.push(kafkaInputCheck(input));
    const store = input.offsetStore;
    if (store instanceof PostgresTransactionalSink) checks.push(postgresSinkCheck(store, input.input));
    if (store instanceof KafkaTransactionalSink)
      checks.push(kafkaSinkCheck(store, input.input, input.topics));
  }
  if (config.graphite) checks.push(graphiteCheck(config.graphite.url, config.graphite.target));
  if (config.pushgateway) checks.push(pushgatewayCheck(config.pushgateway.url));
  return checks;
}

/** `ok    kafka 127.0.0.1:9092 (input kafka:clicks): topic clicks has 6 partitions (12 ms)`. */
export function formatCheckLine(line: CheckLine): string {
  const ms = line.ms === undefined ? '' : ` (${line.ms} ms)`;
  // The last guard: whatever a client echoed, no URL's user-info is ever printed.
  return redactText(`${line.status.padEnd(6)}${line.target}: ${line.detail}${ms}`);
}

/** `connect: 5 ok, 1 failed, 1 not checked`. */
export function summaryLine(lines: readonly CheckLine[]): string {
  const count = (status: CheckLine['status']) => lines.filter((l) => l.status === status).length;
  const skipped = count('skip');
  return `connect: ${count('ok')} ok, ${count('FAIL')} failed${skipped > 0 ? `, ${skipped} not checked` : ''}`;
}

/** Runs the checks and writes the report; the exit status: 0 when nothing failed, else 1. */
export async function validateConnect(
  config: AgentConfig,
  ssc: StreamingContext | undefined,
  timeoutMs: number,
  write: (text: string) => void,
): Promise<number> {
  const checks = connectChecks(config, ssc);
  if (checks.length === 0) {
    write('connect: nothing to check (no Kafka input, graphite or pushgateway configured)\n');
    return 0;
  }
  const lines = await runConnectChecks(checks, timeoutMs);
  write(`${[...lines.map(formatCheckLine), summaryLine(lines)].join('\n')}\n`);
  return lines.some((l) => l.status === 'FAIL') ? 1 : 0;
}
