// Exits 0 when the Kafka at the given addresses answers, 1 otherwise. Used by scripts/services.sh
// to wait for Kafka.
//
//   node ready.mjs [--expect-brokers=N] [--warm] [host:port ...]   (default 127.0.0.1:9092)
//
// Every address is asked on its own (a client bootstrapped with that address only) for the
// cluster's metadata, which must list at least N live brokers (default 1) and a controller. For
// the 3-broker cluster that means each node answers and the KRaft quorum has registered all three.
//
// With --warm it also makes the cluster create and load its internal topics (__consumer_offsets
// via a group coordinator lookup, __transaction_state via a transactional producer's
// InitProducerId), so that the first test does not meet "coordinator is loading" retries.
//
// kafkajs is CommonJS: plain Node ESM sees only some of its names, so take them from the default.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const args = process.argv.slice(2);
const warm = args.includes('--warm');
const expected = Number(args.find((a) => a.startsWith('--expect-brokers='))?.split('=')[1] ?? 1);
const addresses = args.filter((a) => !a.startsWith('--'));
if (addresses.length === 0) addresses.push('127.0.0.1:9092');

function client(brokers) {
  return new Kafka({
    clientId: 'sidestream-services-ready',
    brokers,
    connectionTimeout: 1000,
    requestTimeout: warm ? 10000 : 2000,
    retry: warm ? { retries: 8, initialRetryTime: 200 } : { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

async function answers(address) {
  const admin = client([address]).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= expected && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function warmUp() {
  const kafka = client(addresses);
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.fetchOffsets({ groupId: 'sidestream-services-warmup' });
  } finally {
    await admin.disconnect().catch(() => {});
  }
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

// A cluster that has just elected its leaders may still answer NOT_COORDINATOR while the new
// coordinator loads its partition, and kafkajs' admin does not retry that: try again for a while.
async function warmUpPatiently() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await warmUp();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function ready() {
  try {
    for (const address of addresses) {
      if (!(await answers(address))) return false;
    }
    if (warm) await warmUpPatiently();
    return true;
  } catch (error) {
    if (warm) console.error(`warm-up failed: ${error instanceof Error ? error.message : error}`);
    return false;
  }
}

process.exit((await ready()) ? 0 : 1);
