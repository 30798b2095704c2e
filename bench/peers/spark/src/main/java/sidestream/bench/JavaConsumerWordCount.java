/*
 * The plain Java peer of bench/peers.ts: one KafkaConsumer polling the whole topic from the
 * earliest offset and counting words in a HashMap, no framework. The clock runs from the first
 * poll that returned records to the poll that brought the count to PEER_RECORDS.
 */
package sidestream.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class JavaConsumerWordCount {
  public static void main(String[] args) throws Exception {
    String topic = PeerReport.envString("PEER_TOPIC");
    long expected = PeerReport.env("PEER_RECORDS");
    PeerReport.startHeapSampler();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, PeerReport.envString("PEER_BROKERS"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, PeerReport.envString("PEER_GROUP"));
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Map<String, long[]> counts = new HashMap<>();
    long records = 0;
    long firstMs = -1;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      while (records < expected) {
        ConsumerRecords<String, String> polled = consumer.poll(Duration.ofMillis(500));
        if (polled.isEmpty()) continue;
        if (firstMs < 0) firstMs = System.currentTimeMillis();
        for (ConsumerRecord<String, String> record : polled) {
          for (String word : record.value().split(" ")) {
            counts.computeIfAbsent(word, w -> new long[1])[0]++;
          }
          records++;
        }
      }
      long lastMs = System.currentTimeMillis();
      long words = 0;
      long letters = 0;
      for (Map.Entry<String, long[]> e : counts.entrySet()) {
        words += e.getValue()[0];
        letters += e.getValue()[0] * e.getKey().length();
      }
      PeerReport.done(records, words, letters, firstMs, lastMs);
      PeerReport.idle();
    }
  }
}
