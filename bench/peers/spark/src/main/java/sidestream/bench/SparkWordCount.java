/*
 * The Spark Streaming peer of bench/peers.ts: the DStream word count over the direct Kafka stream
 * (spark-streaming-kafka-0-10), master local[2], 1 s batches, as a Spark user would write it:
 * flatMap split, mapToPair (word, 1), reduceByKey, and a foreachRDD collecting the counts on
 * the driver. A StreamingListener adds up the batches' input records; the clock runs from the
 * processing start of the first batch holding records to the end of the batch that brought
 * them to PEER_RECORDS.
 */
package sidestream.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaInputDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.apache.spark.streaming.scheduler.BatchInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import scala.Tuple2;

public final class SparkWordCount {
  public static void main(String[] args) throws Exception {
    String topic = PeerReport.envString("PEER_TOPIC");
    long expected = PeerReport.env("PEER_RECORDS");
    PeerReport.startHeapSampler();
    SparkConf conf =
        new SparkConf()
            .setMaster(System.getenv().getOrDefault("PEER_SPARK_MASTER", "local[2]"))
            .setAppName("sidestream-peer-word-count")
            .set("spark.ui.enabled", "false");
    JavaStreamingContext jssc = new JavaStreamingContext(conf, Durations.seconds(1));
    jssc.sparkContext().setLogLevel("WARN");

    Map<String, Object> kafkaParams = new HashMap<>();
    kafkaParams.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, PeerReport.envString("PEER_BROKERS"));
    kafkaParams.put(ConsumerConfig.GROUP_ID_CONFIG, PeerReport.envString("PEER_GROUP"));
    kafkaParams.put(
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        "latest".equals(System.getenv("PEER_START")) ? "latest" : "earliest");
    kafkaParams.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    kafkaParams.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    kafkaParams.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);

    JavaInputDStream<ConsumerRecord<String, String>> stream =
        KafkaUtils.createDirectStream(
            jssc,
            LocationStrategies.PreferConsistent(),
            ConsumerStrategies.<String, String>Subscribe(List.of(topic), kafkaParams));
    JavaPairDStream<String, Long> counts =
        stream
            .flatMap(r -> Arrays.asList(r.value().split(" ")).iterator())
            .mapToPair(w -> new Tuple2<>(w, 1L))
            .reduceByKey(Long::sum);

    // Added to by the output on a job thread, read by the listener on the listener bus's thread.
    AtomicLong words = new AtomicLong();
    AtomicLong letters = new AtomicLong();
    counts.foreachRDD(
        rdd -> {
          for (Tuple2<String, Long> c : rdd.collect()) {
            words.addAndGet(c._2());
            letters.addAndGet(c._2() * c._1().length());
          }
        });

    AtomicLong records = new AtomicLong();
    AtomicLong firstMs = new AtomicLong(-1);
    jssc.addStreamingListener(
        new StreamingListener() {
          @Override
          public void onBatchCompleted(StreamingListenerBatchCompleted completed) {
            BatchInfo info = completed.batchInfo();
            PeerReport.batch(
                info.batchTime().milliseconds(),
                info.numRecords(),
                (Long) info.schedulingDelay().get(),
                (Long) info.totalDelay().get());
            if (info.numRecords() == 0) return;
            if (firstMs.get() < 0) firstMs.set((Long) info.processingStartTime().get());
            long total = records.addAndGet(info.numRecords());
            if (expected > 0 && total >= expected) {
              long lastMs = (Long) info.processingEndTime().get();
              PeerReport.done(total, words.get(), letters.get(), firstMs.get(), lastMs);
            }
          }
        });
    jssc.start();
    jssc.awaitTermination();
  }
}
