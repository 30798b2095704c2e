/**
 * What ONE broker's metadata cache says, asked directly: a Metadata request (v4) on a socket of
 * its own. kafkajs' admin sends metadata requests to whichever broker it likes, but after a
 * fault the brokers disagree for a while (a node just thawed or restarted still serves the
 * leaders and ISRs it had before), so a drill that waits for the cluster to heal must hear every
 * node say so. Version 4 is the oldest that Kafka 4.x still serves and the newest before the
 * flexible encoding, so the request and response are plain fixed fields.
 */
import net from 'node:net';

export interface NodePartitionMetadata {
  readonly errorCode: number;
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface NodeTopicMetadata {
  readonly errorCode: number;
  readonly name: string;
  readonly partitions: readonly NodePartitionMetadata[];
}

export interface NodeMetadata {
  /** The brokers this node knows as live (registered and unfenced). */
  readonly brokers: readonly { nodeId: number; host: string; port: number }[];
  readonly controllerId: number;
  readonly topics: readonly NodeTopicMetadata[];
}

const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;

function encodeRequest(topics: readonly string[] | null, correlationId: number): Buffer {
  const parts: Buffer[] = [];
  const int16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    parts.push(b);
  };
  const int32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  const string = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    int16(bytes.length);
    parts.push(bytes);
  };
  int16(METADATA_API_KEY);
  int16(METADATA_VERSION);
  int32(correlationId);
  string('sidestream-test-node-metadata');
  if (topics === null) {
    int32(-1);
  } else {
    int32(topics.length);
    for (const t of topics) string(t);
  }
  parts.push(Buffer.from([0])); // allow_auto_topic_creation: false
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A cursor over a response body. */
class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.offset);
    this.offset += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const s = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
  string(): string {
    return this.nullableString() ?? '';
  }
  array<T>(item: () => T): T[] {
    const n = this.int32();
    return n < 0 ? [] : Array.from({ length: n }, item);
  }
}

function decodeResponse(body: Buffer): NodeMetadata {
  const r = new Reader(body);
  r.int32(); // correlation id
  r.int32(); // throttle_time_ms
  const brokers = r.array(() => {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    r.nullableString(); // rack
    return { nodeId, host, port };
  });
  r.nullableString(); // cluster_id
  const controllerId = r.int32();
  const topics = r.array(() => {
    const errorCode = r.int16();
    const name = r.string();
    r.int8(); // is_internal
    const partitions = r.array(() => ({
      errorCode: r.int16(),
      partition: r.int32(),
      leader: r.int32(),
      replicas: r.array(() => r.int32()),
      isr: r.array(() => r.int32()),
    }));
    return { errorCode, name, partitions };
  });
  return { brokers, controllerId, topics };
}

/**
 * Asks the broker at `address` (host:port) for the metadata of `topics` (null: every topic) and
 * resolves with its answer; rejects after `timeoutMs` (a frozen broker accepts the connection and
 * answers nothing).
 */
export function nodeMetadata(
  address: string,
  topics: readonly string[] | null,
  timeoutMs = 5000,
): Promise<NodeMetadata> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: host ?? '127.0.0.1', port: Number(port) });
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => socket.destroy(new Error(`no metadata from ${address} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(encodeRequest(topics, 1)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(decodeResponse(received.subarray(4, 4 + size)));
      } catch (error) {
        reject(error);
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`${address} closed the connection before answering`));
    });
  });
}
