/**
 * The kafkajs admin clients `validate --connect` asks Kafka with: the input's (or sink's) own
 * client settings (ssl, sasl...), no retries, and the check's timeout for connecting and for each
 * request, so a broker that does not answer fails with its own reason (ECONNREFUSED) instead of
 * spending the check's time on retries. Each admin is closed when the check ends or is aborted.
 * kafkajs is loaded through the sources' loader, only when a job has a Kafka target.
 */
import type { Admin, KafkaConfig } from 'kafkajs';
import { kafkaClient } from '../../sources/kafka/kafkajs-client.js';
import type { CheckProgress } from './connect-check.js';

export interface KafkaAdminOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'> | undefined;
}

/** What the Kafka checks' failure lines name as the thing that should answer. */
export const KAFKA_SERVICE = 'a Kafka broker';

/**
 * A connected admin client; `use` runs with it and it is disconnected after, or as soon as the
 * check is aborted.
 */
export async function withKafkaAdmin<T>(
  options: KafkaAdminOptions,
  progress: CheckProgress,
  use: (admin: Admin) => Promise<T>,
): Promise<T> {
  const kafka = await kafkaClient({
    ...options.kafka,
    brokers: [...options.brokers],
    clientId: options.clientId,
    connectionTimeout: progress.timeoutMs,
    requestTimeout: progress.timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const close = () => void admin.disconnect().catch(() => {});
  progress.signal.addEventListener('abort', close, { once: true });
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    progress.signal.removeEventListener('abort', close);
    close();
  }
}

/**
 * Asks every seed broker on its own, in parallel, each on its own line (a slot, in the job's
 * order, targeted `target(broker)`): a broker list with one dead address still works, but its
 * line names the dead one. Resolves with the first broker that answered, as soon as one did (the
 * other probes go on filling their lines), or undefined when none did.
 */
export function firstAnsweringBroker(
  options: KafkaAdminOptions,
  progress: CheckProgress,
  target: (broker: string) => string,
  describe: (error: unknown) => string,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probes = options.brokers.map(async (broker) => {
      const fill = progress.slot(target(broker));
      try {
        const cluster = await withKafkaAdmin({ ...options, brokers: [broker] }, progress, (admin) =>
          admin.describeCluster(),
        );
        const nodes = cluster.brokers.length;
        fill('ok', `broker answers; the cluster has ${nodes} broker${nodes === 1 ? '' : 's'}`);
        resolve(broker);
      } catch (error) {
        fill('FAIL', describe(error));
      }
    });
    void Promise.all(probes).then(() => resolve(undefined));
  });
}
