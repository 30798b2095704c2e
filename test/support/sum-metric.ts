/**
 * The sum over every series of one metric in a Prometheus text exposition (an agent's /metrics):
 * a total such as all batches whatever their outcome, without a Prometheus in between whose last
 * scrape may be an interval old.
 */
export function sumMetric(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    // `name{labels} value [timestamp]` or `name value`; comments and other metrics are skipped.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === name) sum += Number(match[2]);
  }
  return sum;
}
