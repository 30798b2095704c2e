// Exits 0 when the broker at argv[2] (default 127.0.0.1:9092) answers a metadata request with at
// least one live broker, 1 otherwise. Used by scripts/services.sh to wait for Kafka.
//
// With --warm it also makes the broker create and load its internal topics (__consumer_offsets
// via a group coordinator lookup, __transaction_state via a transactional producer's
// InitProducerId), so that the first test does not meet "coordinator is loading" retries.
//
// kafkajs is CommonJS: plain Node ESM sees only some of its names, so take them from the default.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const args = process.argv.slice(2);
const warm = args.includes('--warm');
const broker = args.find((a) => !a.startsWith('--')) ?? '127.0.0.1:9092';
const kafka = new Kafka({
  clientId: 'sidestream-services-ready',
  brokers: [broker],
  connectionTimeout: 1000,
  requestTimeout: warm ? 10000 : 2000,
  retry: warm ? { retries: 8, initialRetryTime: 200 } : { retries: 0 },
  logLevel: logLevel.NOTHING,
});

async function ready() {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller === null) return false;
    if (warm) {
      await admin.fetchOffsets({ groupId: 'sidestream-services-warmup' });
      const producer = kafka.producer({
        transactionalId: 'sidestream-services-warmup',
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      try {
        const transaction = await producer.transaction(); // InitProducerId: creates __transaction_state
        await transaction.abort();
      } finally {
        await producer.disconnect();
      }
    }
    return true;
  } catch (error) {
    if (warm) console.error(`warm-up failed: ${error instanceof Error ? error.message : error}`);
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

process.exit((await ready()) ? 0 : 1);
