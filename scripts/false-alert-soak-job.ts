/**
 * The job the false-alert soak (scripts/false-alert-soak.ts) runs as a real agent: a direct Kafka
 * stream over TOPIC in consumer group GROUP (KAFKA_BROKER, default the single local broker) that
 * counts each batch's records per key through a shuffle. An ordinary healthy job: every alert it
 * raises under bursty traffic is a false one.
 */
import type { StreamingContext } from 'sidestream';

export default function job(ssc: StreamingContext): void {
  const { TOPIC: topic, GROUP: group, KAFKA_BROKER: broker = '127.0.0.1:9092' } = process.env;
  if (!topic || !group) throw new Error('false-alert-soak-job: set TOPIC and GROUP');
  ssc
    .kafkaDirectStream({ brokers: [broker], topics: [topic], groupId: group, startingOffsets: 'earliest' })
    .map((record) => record.key ?? '')
    .countByValue()
    .foreachRDD(async (rdd) => {
      await rdd.collect();
    });
}
