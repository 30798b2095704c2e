/**
 * Word count over a TCP text stream, Spark Streaming's NetworkWordCount:
 *
 *   nc -lk 9999 &                          # any line server
 *   SOCKET_PORT=9999 sidestream run examples/word-count-socket.ts
 *
 * The agent connects to SOCKET_HOST:SOCKET_PORT (default 127.0.0.1:9999) as a client, and every
 * batch prints one line with that batch's counts, e.g. `counts {"a":2,"b":1}`.
 */
import type { StreamingContext } from 'sidestream';

export default function job(ssc: StreamingContext): void {
  const host = process.env.SOCKET_HOST ?? '127.0.0.1';
  const port = Number(process.env.SOCKET_PORT ?? 9999);
  ssc
    .socketTextStream(host, port)
    .flatMap((line) => line.split(/\s+/).filter((w) => w.length > 0))
    .map((word): [string, number] => [word, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      const counts = (await rdd.collect()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      console.log(`counts ${JSON.stringify(Object.fromEntries(counts))}`);
    });
}
