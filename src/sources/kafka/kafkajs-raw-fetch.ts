/**
 * fetchRaw: a Fetch request sent to one broker of kafkajs' cluster through kafkajs' own request
 * encoder and connection (its API version negotiation, TLS/SASL, correlation and timeouts), whose
 * response is read by our decoder (record-batch/decode-fetch-response.ts): each partition's
 * record set stays raw bytes for decodeRecordBatches, instead of kafkajs decoding every record
 * into objects first. Partition errors surface as kafkajs' own errors (the same `type` names the
 * range reader handles). Like kafkajs-cluster.ts, this reaches internals of kafkajs 2.2.4 (its
 * request definitions, error helpers, the broker's private send and its connection pool), which
 * package.json pins and test/integration/kafka-range-reader.test.ts exercises against a real
 * broker.
 *
 * kafkajs opens a broker's Fetch connection on first use without a lock: fetches sent at once to
 * a broker whose Fetch connection is not open yet (a batch's tasks reading several partitions of
 * one leader) would each open a socket, the connection would keep only the last, and the others
 * would stay open after the reader closed (keeping the process alive). So the first fetch of a
 * connection opens it alone and the others wait for it.
 */
import { createRequire } from 'node:module';
import { SidestreamError } from '../../errors.js';
import type { KafkajsBroker } from './kafkajs-cluster.js';
import {
  decodeFetchResponse,
  type FetchResponse,
  MAX_FETCH_VERSION,
  MIN_FETCH_VERSION,
} from './record-batch/decode-fetch-response.js';

export interface RawFetchRequest {
  readonly isolationLevel: number;
  readonly maxWaitTime: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: {
    readonly topic: string;
    readonly partitions: {
      readonly partition: number;
      readonly fetchOffset: string;
      readonly maxBytes: number;
    }[];
  }[];
}

/** What kafkajs' connection sends: the encoded request and how to read its answer. */
interface ProtocolRequest {
  request: { apiVersion: number };
  response: { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

interface KafkajsInternals {
  fetchApiKey: number;
  fetchDefinition: unknown;
  createErrorFromCode(code: number): Error;
  OffsetOutOfRange: new (cause: Error, where: { topic: string; partition: number }) => Error;
}

let internals: KafkajsInternals | undefined;

/** Loaded on first use: kafkajs itself is loaded lazily (kafkajs-read-committed.ts must come first). */
function kafkajs(): KafkajsInternals {
  if (internals) return internals;
  const require = createRequire(import.meta.url);
  const { requests } = require('kafkajs/src/protocol/requests') as { requests: { Fetch: unknown } };
  const apiKeys = require('kafkajs/src/protocol/requests/apiKeys') as { Fetch: number };
  const { createErrorFromCode } = require('kafkajs/src/protocol/error') as KafkajsInternals;
  const { KafkaJSOffsetOutOfRange } = require('kafkajs/src/errors') as {
    KafkaJSOffsetOutOfRange: KafkajsInternals['OffsetOutOfRange'];
  };
  internals = {
    fetchApiKey: apiKeys.Fetch,
    fetchDefinition: requests.Fetch,
    createErrorFromCode,
    OffsetOutOfRange: KafkaJSOffsetOutOfRange,
  };
  return internals;
}

const OFFSET_OUT_OF_RANGE = 1;

/** What fetchRaw needs of kafkajs' connection pool: the (connected) connection a request goes on. */
interface ConnectionPool {
  getConnectionByRequest(request: ProtocolRequest): Promise<unknown>;
}

/** Per connection pool, the opening of its Fetch connection while one is under way. */
const opening = new WeakMap<ConnectionPool, Promise<unknown>>();

/** Waits until the connection `request` goes on is open, opening it once however many ask. */
function connectionOpen(broker: KafkajsBroker, request: ProtocolRequest): Promise<unknown> {
  const pool = (broker as { connectionPool?: ConnectionPool }).connectionPool;
  if (typeof pool?.getConnectionByRequest !== 'function') {
    throw new SidestreamError(
      'SS_SOURCE_FAILED',
      "this kafkajs version's broker has no connection pool the range reader can open its Fetch connection on; install kafkajs 2.2.4 (the version package.json pins)",
    );
  }
  let open = opening.get(pool);
  if (open === undefined) {
    // Settles at once when the connection is already open (the usual case).
    open = pool.getConnectionByRequest(request).finally(() => opening.delete(pool));
    opening.set(pool, open);
  }
  return open;
}

/** The broker's private send (kafkajs keeps it under a module-private Symbol; its description is stable). */
function privateSend(broker: KafkajsBroker): (request: ProtocolRequest) => Promise<unknown> {
  for (let proto = Object.getPrototypeOf(broker); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const symbol = Object.getOwnPropertySymbols(proto).find(
      (s) => s.description === 'private:Broker:sendRequest',
    );
    const send = symbol === undefined ? undefined : (proto as Record<symbol, unknown>)[symbol];
    if (typeof send === 'function') return (request) => send.call(broker, request);
  }
  throw new SidestreamError(
    'SS_SOURCE_FAILED',
    "this kafkajs version's broker has no private send the range reader fetches with; install kafkajs 2.2.4 (the version package.json pins)",
  );
}

export async function fetchRaw(broker: KafkajsBroker, request: RawFetchRequest): Promise<FetchResponse> {
  const { fetchApiKey, fetchDefinition, createErrorFromCode, OffsetOutOfRange } = kafkajs();
  const build = broker.lookupRequest(fetchApiKey, fetchDefinition) as (
    args: RawFetchRequest,
  ) => ProtocolRequest;
  const protocol = build(request);
  const version = protocol.request.apiVersion;
  if (version < MIN_FETCH_VERSION || version > MAX_FETCH_VERSION) {
    throw new SidestreamError(
      'SS_SOURCE_FAILED',
      `the broker answers Fetch version ${version}; reading ranges needs ${MIN_FETCH_VERSION} or later (Kafka 0.11 and later)`,
    );
  }
  const response = {
    decode: async (payload: Buffer) => {
      const decoded = decodeFetchResponse(payload, version);
      // From version 8 (KIP-219) the broker answers at once and leaves the throttling to the client.
      return { ...decoded, clientSideThrottleTime: version >= 8 ? decoded.throttleTimeMs : 0 };
    },
    parse: async (data: unknown) => {
      const decoded = data as FetchResponse;
      // As kafkajs' own Fetch parse: the first failed partition fails the request.
      for (const { topic, partitions } of decoded.responses) {
        for (const p of partitions) {
          if (p.errorCode === 0) continue;
          const error = createErrorFromCode(p.errorCode);
          throw p.errorCode === OFFSET_OUT_OF_RANGE
            ? new OffsetOutOfRange(error, { topic, partition: p.partition })
            : error;
        }
      }
      return decoded;
    },
  };
  await connectionOpen(broker, protocol);
  return (await privateSend(broker)({ ...protocol, response })) as FetchResponse;
}
