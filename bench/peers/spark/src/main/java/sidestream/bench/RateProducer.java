/*
 * The steady phase's producer (bench/peers-steady.ts): the word corpus's record values (one per
 * line of PEER_VALUES_FILE) at PEER_RATE records/s for PEER_DURATION_MS, record i to partition
 * i % PEER_PARTITIONS, each stamped with the time it was handed to the client. In Java because
 * the JVM client needs a fraction of kafkajs's CPU per record, and the producer shares the
 * machine with the engine it feeds. Prints `produced {json}` when every record is acknowledged.
 */
package sidestream.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class RateProducer {
  public static void main(String[] args) throws Exception {
    String topic = PeerReport.envString("PEER_TOPIC");
    long rate = PeerReport.env("PEER_RATE");
    long durationMs = PeerReport.env("PEER_DURATION_MS");
    int partitions = (int) PeerReport.env("PEER_PARTITIONS");
    List<String> lines = Files.readAllLines(Path.of(PeerReport.envString("PEER_VALUES_FILE")));
    byte[][] values = new byte[lines.size()][];
    for (int i = 0; i < values.length; i++) values[i] = lines.get(i).getBytes(StandardCharsets.UTF_8);

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, PeerReport.envString("PEER_BROKERS"));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, PeerReport.envString("PEER_COMPRESSION"));
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    AtomicReference<Exception> failure = new AtomicReference<>();
    long sent = 0;
    long started;
    long ended;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      started = System.currentTimeMillis();
      while (true) {
        long elapsed = System.currentTimeMillis() - started;
        if (elapsed >= durationMs) break;
        long due = elapsed * rate / 1000;
        if (sent >= due) {
          Thread.sleep(1);
          continue;
        }
        long now = System.currentTimeMillis();
        for (; sent < due; sent++) {
          producer.send(
              new ProducerRecord<>(topic, (int) (sent % partitions), now, null, values[(int) (sent % values.length)]),
              (metadata, error) -> {
                if (error != null) failure.compareAndSet(null, error);
              });
        }
      }
      producer.flush();
      ended = System.currentTimeMillis();
    }
    if (failure.get() != null) throw failure.get();
    System.out.println(
        "produced {\"sent\":" + sent + ",\"started\":" + started + ",\"ended\":" + ended + "}");
  }
}
