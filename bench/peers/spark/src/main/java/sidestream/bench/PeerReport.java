/*
 * What the JVM word counts of the peer benchmarks (bench/peers.ts, bench/peers-steady.ts)
 * print on stdout, in the format the Node engines print too (bench/peers/peer-report.ts): a
 * `peer-batch {json}` line per completed batch (Spark), and one `peer-done {json}` line once
 * every record is counted, with the peak used heap sampled every 100 ms from the start.
 */
package sidestream.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

final class PeerReport {
  private static final AtomicLong PEAK_HEAP = new AtomicLong();

  private PeerReport() {}

  /** A daemon thread samples the used heap, so the figure is comparable with Node's heapUsed samples. */
  static void startHeapSampler() {
    Thread sampler =
        new Thread(
            () -> {
              var memory = ManagementFactory.getMemoryMXBean();
              while (true) {
                long used = memory.getHeapMemoryUsage().getUsed();
                PEAK_HEAP.accumulateAndGet(used, Math::max);
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "peer-heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  static long env(String name) {
    String value = System.getenv(name);
    if (value == null) throw new IllegalArgumentException(name + " is not set");
    return Long.parseLong(value);
  }

  static String envString(String name) {
    String value = System.getenv(name);
    if (value == null) throw new IllegalArgumentException(name + " is not set");
    return value;
  }

  static synchronized void done(long records, long words, long letters, long firstMs, long lastMs) {
    System.out.println(
        "peer-done {\"records\":"
            + records
            + ",\"words\":"
            + words
            + ",\"letters\":"
            + letters
            + ",\"firstMs\":"
            + firstMs
            + ",\"lastMs\":"
            + lastMs
            + ",\"peakHeapBytes\":"
            + PEAK_HEAP.get()
            + "}");
    System.out.flush();
  }

  static synchronized void batch(long batchTime, long records, long schedulingDelayMs, long totalDelayMs) {
    System.out.println(
        "peer-batch {\"batchTime\":"
            + batchTime
            + ",\"records\":"
            + records
            + ",\"schedulingDelayMs\":"
            + schedulingDelayMs
            + ",\"totalDelayMs\":"
            + totalDelayMs
            + "}");
    System.out.flush();
  }

  /** Stays alive (idle) after reporting: the benchmark reads the process's CPU time, then ends it. */
  static void idle() throws InterruptedException {
    Thread.sleep(Long.MAX_VALUE);
  }
}
