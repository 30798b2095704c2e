#!/usr/bin/env bash
# Start, stop and inspect the real services that sidestream's integration tests use.
#
#   scripts/services.sh up     [SERVICE|all]   start (idempotent: a running service is left alone)
#   scripts/services.sh down   [SERVICE|all]   stop what `up` started (data is kept)
#   scripts/services.sh status [SERVICE|all]   print what is running
#   scripts/services.sh clean  [SERVICE|all]   stop and delete the service's data
#   SERVICE: kafka | kafka-cluster | postgres | graphite | prometheus | pushgateway
#
# Everything listens on 127.0.0.1 only:
#   Kafka      127.0.0.1:9092 (broker), 127.0.0.1:9093 (KRaft controller)
#   Kafka cluster  three KRaft nodes (broker and controller each) for the fault drills and the
#              fleet soak: brokers 127.0.0.1:19092-19094, controllers 19192-19194, and a listener
#              for clients in a test's network namespace on 19292-19294; replication factor 3,
#              min.insync.replicas 2
#   PostgreSQL 127.0.0.1:5433, postgres://postgres@127.0.0.1:5433/sidestream (trust auth)
#   Graphite   carbon-cache 127.0.0.1:2003 (line protocol, TCP and UDP), 2004 (pickle), 7002 (cache
#              query); whisper files under $SIDESTREAM_RUN/graphite/storage/whisper; graphite-web's
#              render API on http://127.0.0.1:8080 (Django's server, reading that whisper dir)
#   Prometheus nothing is started: `up prometheus` only installs Debian's `prometheus` package when
#              /usr/bin/prometheus is missing and checks prometheus and promtool; each test starts
#              its own instance on a free port, because only the test knows the agent's port
#   Pushgateway nothing is started either: `up pushgateway` installs Debian's `prometheus-pushgateway`
#              when /usr/bin/prometheus-pushgateway is missing; tests start their own on a free port
#
# Environment:
#   SIDESTREAM_CACHE  downloads (Kafka jars), default ~/.cache/sidestream; kept across runs so that a
#                     second `up` does no network access at all
#   SIDESTREAM_RUN    data, logs and pid files, default /tmp/sidestream-services
#   SIDESTREAM_KAFKA_VERSION  override the pinned Kafka version below (for trying another one)
#   SIDESTREAM_WAIT_SECONDS   how long `up` waits for a service to answer, default 90
#   SIDESTREAM_KAFKA_CLUSTER_HEAP  -Xmx of each node of the 3-broker cluster, default 1g
# See docs/services.md.
set -euo pipefail

# Kafka version: 4.3.1, the newest 4.x whose artifacts are complete on Maven Central (4.4.0's
# kafka_2.13 pom names org.apache.kafka:kafka-tools-api:4.4.0, which Central does not serve, so it
# cannot be resolved). kafkajs 2.2.4 was tested against it by test/integration/services.test.ts:
# produce, consume with a consumer group, offset commits with metadata, admin.fetchOffsets,
# transactions with sendOffsets, and read_committed reads that hide aborted records all pass.
# 3.9.1 (the fallback, see docs/services.md) passes the same test.
KAFKA_VERSION="${SIDESTREAM_KAFKA_VERSION:-4.3.1}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE_DIR="${SIDESTREAM_CACHE:-$HOME/.cache/sidestream}"
RUN_DIR="${SIDESTREAM_RUN:-/tmp/sidestream-services}"
WAIT_SECONDS="${SIDESTREAM_WAIT_SECONDS:-90}"

KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_LIB="$CACHE_DIR/kafka-$KAFKA_VERSION/lib"
KAFKA_RUN="$RUN_DIR/kafka"
KAFKA_DATA="$KAFKA_RUN/data"
KAFKA_PID="$KAFKA_RUN/kafka.pid"
KAFKA_LOG="$KAFKA_RUN/kafka.log"
KAFKA_CONF="$KAFKA_RUN/server.properties"

PG_HOST=127.0.0.1
PG_PORT=5433
PG_DB=sidestream
PG_URL="postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB"
PG_RUN="$RUN_DIR/postgres"
PG_DATA="$PG_RUN/data"
PG_LOG="$PG_RUN/postgres.log"

GRAPHITE_PORT=2003
GRAPHITE_RUN="$RUN_DIR/graphite"
GRAPHITE_STORAGE="$GRAPHITE_RUN/storage"
GRAPHITE_CONF="$GRAPHITE_RUN/carbon.conf"
GRAPHITE_PID="$GRAPHITE_STORAGE/carbon-cache-a.pid"
GRAPHITE_LOG_DIR="$GRAPHITE_RUN/log"
GRAPHITE_WEB_PORT=8080
GRAPHITE_WEB_RUN="$GRAPHITE_RUN/web"
GRAPHITE_WEB_PID="$GRAPHITE_WEB_RUN/graphite-web.pid"
GRAPHITE_WEB_LOG="$GRAPHITE_WEB_RUN/graphite-web.log"
GRAPHITE_WEB_SETTINGS=graphite_web_settings

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# The pid in pid file $1, when it names a live process whose command line matches the grep
# pattern $2 (so a pid reused by another process is not taken for the service).
pid_from_file() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"; then
    echo "$pid"
  fi
}

# Stops service $1 running as pid $2 (empty: not running) with pid file $3: SIGTERM, then up to
# $4 seconds for it to exit, then SIGKILL. The pid file is removed either way.
stop_pid() {
  local name="$1" pid="$2" pid_file="$3" timeout="$4"
  if [[ -z "$pid" ]]; then
    rm -f "$pid_file"
    log "$name is not running"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "$name did not stop within ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      # A killed process is gone within moments; do not report it stopped before it is.
      local gone=$((SECONDS + 5))
      while pid_alive "$pid" && ((SECONDS < gone)); do sleep 0.2; done
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  log "$name stopped"
}

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------

ensure_java_maven() {
  local pkgs=()
  command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
}

# maven_fetch POM DIR WHAT LOG: resolves POM's runtime dependencies (at $KAFKA_VERSION) into DIR once,
# Maven's output in LOG; later calls see DIR/.complete and do nothing. DIR is filled beside itself
# and moved in whole, so a half-resolved directory is never taken for a complete one.
maven_fetch() {
  local pom="$1" dir="$2" what="$3" mvn_log="$4"
  if [[ -f "$dir/.complete" ]]; then return 0; fi
  ensure_java_maven
  log "resolving $what $KAFKA_VERSION from Maven Central into $dir"
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -f "$pom" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    rm -rf "$tmp"
    die "could not resolve $what $KAFKA_VERSION with Maven; from $mvn_log:
$(grep -E 'ERROR' "$mvn_log" | head -n 5)"
  fi
  rm -rf "$dir"
  mv "$tmp" "$dir"
  touch "$dir/.complete"
}

# The broker's jars (org.apache.kafka:kafka_2.13 and its runtime dependencies).
kafka_fetch() {
  maven_fetch "$SCRIPT_DIR/kafka/pom.xml" "$KAFKA_LIB" "Apache Kafka" "$CACHE_DIR/kafka-$KAFKA_VERSION/mvn.log"
}

# The broker's pid, when the pid file names a live kafka.Kafka process (not a reused pid).
kafka_pid() { pid_from_file "$KAFKA_PID" 'kafka\.Kafka'; }

# Waits until the broker answers a metadata request (kafkajs admin describeCluster when the
# project's node_modules are installed; otherwise a TCP connect plus the broker's own
# "started" log line).
kafka_ready() {
  port_open "$KAFKA_PORT" || return 1
  if [[ -d "$REPO_DIR/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    (cd "$REPO_DIR" && node "$SCRIPT_DIR/kafka/ready.mjs" "$KAFKA_HOST:$KAFKA_PORT") 2>/dev/null
  else
    grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null
  fi
}

kafka_up() {
  local pid
  # The Java producer and consumer of the compression tests read and write this broker's topics;
  # fetched even when the broker already runs (a no-op once cached).
  kafka_tools_fetch
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    log "kafka already running (pid $pid)"
    kafka_wait "$pid"
    return 0
  fi
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is already taken by a process that this script did not start (no live pid in $KAFKA_PID)"
  fi

  kafka_fetch
  # Test data is disposable: a log dir formatted by another Kafka version is started afresh.
  if [[ -d "$KAFKA_DATA" && "$(cat "$KAFKA_RUN/version" 2>/dev/null || true)" != "$KAFKA_VERSION" ]]; then
    log "removing $KAFKA_DATA (written by another Kafka version)"
    rm -rf "$KAFKA_DATA"
  fi
  mkdir -p "$KAFKA_DATA"
  echo "$KAFKA_VERSION" >"$KAFKA_RUN/version"
  sed -e "s#@LOG_DIR@#$KAFKA_DATA#g" "$SCRIPT_DIR/kafka/server.properties.template" >"$KAFKA_CONF"

  local cp="$KAFKA_LIB/*"
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    log "formatting KRaft storage in $KAFKA_DATA (cluster id $cluster_id)"
    java -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF" \
      >"$KAFKA_RUN/format.log" 2>&1 ||
      die "kafka storage format failed, see $KAFKA_RUN/format.log: $(tail -n 5 "$KAFKA_RUN/format.log")"
  fi

  log "starting kafka $KAFKA_VERSION (log: $KAFKA_LOG)"
  if [[ -f "$KAFKA_LOG" ]]; then mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"; fi
  # setsid: the broker must outlive this script and the shell or CI step that ran it.
  # 9>&-: the broker must not inherit the lock that main() holds, or every later call would block.
  setsid java -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config=warn \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser=warn \
    -cp "$cp" kafka.Kafka "$KAFKA_CONF" >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID"
  kafka_wait "$pid"
  kafka_warm
}

# Best effort: lets the broker create its offsets and transaction-state topics now rather than
# during the first test. A failure here is only logged; the tests' clients retry on their own.
kafka_warm() {
  if [[ -d "$REPO_DIR/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    (cd "$REPO_DIR" && node "$SCRIPT_DIR/kafka/ready.mjs" --warm "$KAFKA_HOST:$KAFKA_PORT") >&2 ||
      log "warning: kafka warm-up failed (see above); continuing"
  fi
}

kafka_wait() {
  local pid="$1" deadline=$((SECONDS + WAIT_SECONDS))
  until kafka_ready; do
    if ! pid_alive "$pid"; then
      rm -f "$KAFKA_PID"
      die "kafka exited during startup; last lines of $KAFKA_LOG:
$(tail -n 30 "$KAFKA_LOG" 2>/dev/null)"
    fi
    if ((SECONDS >= deadline)); then
      die "kafka (pid $pid) did not answer on $KAFKA_HOST:$KAFKA_PORT within ${WAIT_SECONDS}s; see $KAFKA_LOG"
    fi
    sleep 0.5
  done
  log "kafka is up: $KAFKA_HOST:$KAFKA_PORT (pid $pid, version $KAFKA_VERSION, data $KAFKA_DATA)"
}

kafka_down() { stop_pid kafka "$(kafka_pid)" "$KAFKA_PID" 60; }

kafka_status() {
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]] && port_open "$KAFKA_PORT"; then
    echo "kafka: running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT, version $(cat "$KAFKA_RUN/version" 2>/dev/null || echo '?'), log $KAFKA_LOG"
  elif [[ -n "$pid" ]]; then
    echo "kafka: starting or unhealthy (pid $pid, port $KAFKA_PORT closed), log $KAFKA_LOG"
  elif port_open "$KAFKA_PORT"; then
    echo "kafka: port $KAFKA_PORT is open but not by a broker this script started"
  else
    echo "kafka: stopped"
  fi
}

kafka_clean() {
  kafka_down
  rm -rf "$KAFKA_RUN"
  log "kafka data removed ($KAFKA_RUN)"
}

# ---------------------------------------------------------------------------------------------
# Kafka cluster: three KRaft nodes (each broker and controller) for the fault drills and the
# fleet soak, beside the single broker and sharing its cached jars. Node n (1..3) answers clients
# on 127.0.0.1:1909(1+n), its controller on 127.0.0.1:1919(1+n), and the NETNS listener
# (clients inside a test's network namespace, test/support/network-namespace.ts) on
# 127.0.0.1:1929(1+n), advertised as $CLUSTER_NETNS_HOST. test/support/kafka-cluster.ts reads the
# same paths: $RUN/kafka-cluster/broker-<n>/{kafka.pid,kafka.log,data} and the tools' classpath.
# ---------------------------------------------------------------------------------------------

CLUSTER_NODES=(1 2 3)
CLUSTER_RUN="$RUN_DIR/kafka-cluster"
# Advertised by the NETNS listeners; only the DNAT rule in a test's namespace gives it meaning.
CLUSTER_NETNS_HOST=10.251.255.254
# 1g: a node thawed after the frozen-leader drill reads every request its clients queued meanwhile
# at once, and with 384m one node ran out of heap there (in CI) and stayed up serving nothing.
CLUSTER_HEAP="${SIDESTREAM_KAFKA_CLUSTER_HEAP:-1g}"
KAFKA_TOOLS="$CACHE_DIR/kafka-$KAFKA_VERSION/tools"

cluster_broker_port() { echo $((19091 + $1)); }
cluster_controller_port() { echo $((19191 + $1)); }
cluster_netns_port() { echo $((19291 + $1)); }
cluster_node_dir() { echo "$CLUSTER_RUN/broker-$1"; }

cluster_brokers() {
  local n list=()
  for n in "${CLUSTER_NODES[@]}"; do list+=("$KAFKA_HOST:$(cluster_broker_port "$n")"); done
  echo "${list[*]}"
}

# Node $1's pid, when its pid file names a live kafka.Kafka process started on that node's config
# (the three brokers' command lines differ only there).
cluster_pid() {
  pid_from_file "$(cluster_node_dir "$1")/kafka.pid" "kafka\.Kafka .*/kafka-cluster/broker-$1/server\.properties"
}

# Kafka's command-line tools (kafka-leader-election, kafka-reassign-partitions, the console
# producer and consumer, ...): the fault drills move partition leaders with them, and the
# compression tests write and read with the Java client through them. In a directory of their
# own: resolving them must never replace the jars of a broker that is running.
kafka_tools_fetch() {
  maven_fetch "$SCRIPT_DIR/kafka/tools-pom.xml" "$KAFKA_TOOLS" "Apache Kafka tools" \
    "$CACHE_DIR/kafka-$KAFKA_VERSION/mvn-tools.log"
}

cluster_write_conf() {
  local n="$1" dir voters="" m
  dir="$(cluster_node_dir "$n")"
  for m in "${CLUSTER_NODES[@]}"; do voters+="${voters:+,}$m@$KAFKA_HOST:$(cluster_controller_port "$m")"; done
  mkdir -p "$dir/data"
  sed -e "s#@NODE_ID@#$n#g" -e "s#@VOTERS@#$voters#g" -e "s#@LOG_DIR@#$dir/data#g" \
    -e "s#@BROKER_PORT@#$(cluster_broker_port "$n")#g" \
    -e "s#@CONTROLLER_PORT@#$(cluster_controller_port "$n")#g" \
    -e "s#@NETNS_PORT@#$(cluster_netns_port "$n")#g" \
    -e "s#@NETNS_HOST@#$CLUSTER_NETNS_HOST#g" \
    "$SCRIPT_DIR/kafka/cluster.properties.template" >"$dir/server.properties"
}

# Starts node $1 on its existing log dir (formatting it first when it has none).
cluster_start_node() {
  local n="$1" dir cp="$KAFKA_LIB/*" port
  dir="$(cluster_node_dir "$n")"
  for port in "$(cluster_broker_port "$n")" "$(cluster_controller_port "$n")" "$(cluster_netns_port "$n")"; do
    if port_open "$port"; then
      die "port $port (cluster node $n) is already taken by a process that this script did not start"
    fi
  done
  cluster_write_conf "$n"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    log "formatting KRaft storage of cluster node $n in $dir/data (cluster id $(cat "$CLUSTER_RUN/cluster-id"))"
    java -cp "$cp" kafka.tools.StorageTool format -t "$(cat "$CLUSTER_RUN/cluster-id")" \
      -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
      die "kafka storage format of cluster node $n failed, see $dir/format.log: $(tail -n 5 "$dir/format.log")"
  fi
  if [[ -f "$dir/kafka.log" ]]; then mv -f "$dir/kafka.log" "$dir/kafka.log.1"; fi
  log "starting kafka cluster node $n on $KAFKA_HOST:$(cluster_broker_port "$n") (log: $dir/kafka.log)"
  # setsid and 9>&- as for the single broker: outlive this script, do not hold main()'s lock.
  # ExitOnOutOfMemoryError: a node out of heap is half alive (threads dead, pid and ports held);
  # exited, it is reported as stopped with its log, and `up kafka-cluster` starts it again.
  setsid java "-Xmx$CLUSTER_HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config=warn \
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser=warn \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 </dev/null 9>&- &
  echo $! >"$dir/kafka.pid"
}

# True when every node answers a metadata request that lists all three brokers: each node is up,
# a controller quorum has a leader, and it has registered (unfenced) every broker.
cluster_ready() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do port_open "$(cluster_broker_port "$n")" || return 1; done
  if [[ -d "$REPO_DIR/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    # shellcheck disable=SC2046 # one argument per broker
    (cd "$REPO_DIR" && node "$SCRIPT_DIR/kafka/ready.mjs" --expect-brokers=${#CLUSTER_NODES[@]} $(cluster_brokers)) 2>/dev/null
  else
    for n in "${CLUSTER_NODES[@]}"; do
      grep -q 'Kafka Server started' "$(cluster_node_dir "$n")/kafka.log" 2>/dev/null || return 1
    done
  fi
}

cluster_wait() {
  local deadline=$((SECONDS + WAIT_SECONDS)) n pid
  until cluster_ready; do
    for n in "${CLUSTER_NODES[@]}"; do
      pid="$(cluster_pid "$n")"
      if [[ -z "$pid" ]]; then
        rm -f "$(cluster_node_dir "$n")/kafka.pid"
        die "kafka cluster node $n is not running (it exited during startup?); last lines of $(cluster_node_dir "$n")/kafka.log:
$(tail -n 30 "$(cluster_node_dir "$n")/kafka.log" 2>/dev/null)"
      fi
    done
    if ((SECONDS >= deadline)); then
      die "the kafka cluster did not answer with all ${#CLUSTER_NODES[@]} brokers within ${WAIT_SECONDS}s (a frozen node stays unready until it is sent SIGCONT); see $CLUSTER_RUN/broker-*/kafka.log"
    fi
    sleep 0.5
  done
  log "kafka cluster is up: $(cluster_brokers | tr ' ' ',') (version $KAFKA_VERSION, data $CLUSTER_RUN)"
}

cluster_up() {
  kafka_fetch
  kafka_tools_fetch
  local n pid running=0 started=0
  for n in "${CLUSTER_NODES[@]}"; do
    if [[ -n "$(cluster_pid "$n")" ]]; then running=$((running + 1)); fi
  done
  # Test data is disposable: log dirs written by another Kafka version are started afresh (only
  # when no node runs: a running node's log dir is never pulled from under it).
  if ((running == 0)) && [[ -d "$CLUSTER_RUN" && "$(cat "$CLUSTER_RUN/version" 2>/dev/null || true)" != "$KAFKA_VERSION" ]]; then
    log "removing $CLUSTER_RUN (written by another Kafka version)"
    rm -rf "$CLUSTER_RUN"
  fi
  mkdir -p "$CLUSTER_RUN"
  echo "$KAFKA_VERSION" >"$CLUSTER_RUN/version"
  if [[ ! -s "$CLUSTER_RUN/cluster-id" ]]; then
    java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$CLUSTER_RUN/cluster-id"
    [[ -s "$CLUSTER_RUN/cluster-id" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
  fi
  for n in "${CLUSTER_NODES[@]}"; do
    pid="$(cluster_pid "$n")"
    if [[ -n "$pid" ]]; then
      log "kafka cluster node $n already running (pid $pid)"
    else
      cluster_start_node "$n"
      started=$((started + 1))
    fi
  done
  cluster_wait
  # As for the single broker: create the internal topics now (with three replicas, which needs all
  # three brokers), so that the first test meets no "coordinator is loading" retries.
  if ((started > 0)) && [[ -d "$REPO_DIR/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    # shellcheck disable=SC2046 # one argument per broker
    (cd "$REPO_DIR" && node "$SCRIPT_DIR/kafka/ready.mjs" --warm $(cluster_brokers)) >&2 ||
      log "warning: kafka cluster warm-up failed (see above); continuing"
  fi
}

cluster_down() {
  local n pid pids=()
  # All at once, and SIGKILL after 15 s: the last node's controlled shutdown waits for a controller
  # quorum that the others took away (minutes), and test data needs no clean shutdown (a killed
  # node recovers its log at the next start). SIGCONT first, so that a frozen node can act on SIGTERM.
  for n in "${CLUSTER_NODES[@]}"; do
    pid="$(cluster_pid "$n")"
    pids+=("$pid")
    if [[ -n "$pid" ]]; then kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for n in "${CLUSTER_NODES[@]}"; do
    stop_pid "kafka cluster node $n" "${pids[$((n - 1))]}" "$(cluster_node_dir "$n")/kafka.pid" 15
  done
}

cluster_status() {
  local n pid port
  for n in "${CLUSTER_NODES[@]}"; do
    pid="$(cluster_pid "$n")"
    port="$(cluster_broker_port "$n")"
    if [[ -n "$pid" && "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == T ]]; then
      echo "kafka-cluster node $n: frozen (pid $pid, SIGSTOP) on $KAFKA_HOST:$port, log $(cluster_node_dir "$n")/kafka.log"
    elif [[ -n "$pid" ]] && port_open "$port"; then
      echo "kafka-cluster node $n: running (pid $pid) on $KAFKA_HOST:$port, version $(cat "$CLUSTER_RUN/version" 2>/dev/null || echo '?'), log $(cluster_node_dir "$n")/kafka.log"
    elif [[ -n "$pid" ]]; then
      echo "kafka-cluster node $n: starting or unhealthy (pid $pid, port $port closed), log $(cluster_node_dir "$n")/kafka.log"
    elif port_open "$port"; then
      echo "kafka-cluster node $n: port $port is open but not by a broker this script started"
    else
      echo "kafka-cluster node $n: stopped"
    fi
  done
}

cluster_clean() {
  cluster_down
  rm -rf "$CLUSTER_RUN"
  log "kafka cluster data removed ($CLUSTER_RUN)"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

pg_bindir() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; fi
}

ensure_postgres() {
  PG_BIN="$(pg_bindir)"
  if [[ -z "$PG_BIN" ]]; then
    apt_install postgresql
    PG_BIN="$(pg_bindir)"
    [[ -n "$PG_BIN" ]] || die "postgresql was installed but no /usr/lib/postgresql/*/bin/initdb was found"
  fi
}

# Runs a PostgreSQL server program as the cluster's owner: the `postgres` user when we are root
# (initdb and postgres refuse to run as root), else the current user.
pg_as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() {
  [[ -n "${PG_BIN:-}" && -f "$PG_DATA/postmaster.pid" ]] &&
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_up() {
  ensure_postgres
  if ! pg_running && port_open "$PG_PORT"; then
    die "port $PG_PORT is already taken by a process that this script did not start"
  fi
  mkdir -p "$PG_RUN"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres: "$PG_RUN"
    runuser -u postgres -- test -x "$PG_RUN" ||
      die "the postgres user cannot enter $PG_RUN; set SIDESTREAM_RUN to a directory it can reach (default /tmp/sidestream-services)"
  fi

  # Test data is disposable: a cluster made by another PostgreSQL major version is made afresh.
  local major
  major="$(basename "$(dirname "$PG_BIN")")"
  if [[ -f "$PG_DATA/PG_VERSION" && "$(cat "$PG_DATA/PG_VERSION")" != "$major" ]] && ! pg_running; then
    log "removing $PG_DATA (made by PostgreSQL $(cat "$PG_DATA/PG_VERSION"), this is $major)"
    rm -rf "$PG_DATA"
  fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "initdb into $PG_DATA"
    rm -rf "$PG_DATA"
    pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 --no-sync >"$PG_RUN/initdb.log" 2>&1 ||
      die "initdb failed, see $PG_RUN/initdb.log: $(tail -n 5 "$PG_RUN/initdb.log")"
    pg_as_owner tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF

# sidestream test cluster (scripts/services.sh)
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 100
max_prepared_transactions = 10
EOF
  fi

  if pg_running; then
    log "postgres already running on $PG_HOST:$PG_PORT"
  else
    log "starting postgres (log: $PG_LOG)"
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECONDS" start >/dev/null 9>&- ||
      die "postgres did not start; last lines of $PG_LOG:
$(tail -n 30 "$PG_LOG" 2>/dev/null)"
  fi

  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres; do
    ((SECONDS < deadline)) || die "postgres did not answer on $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s; see $PG_LOG"
    sleep 0.3
  done

  local psql=("$PG_BIN/psql" -X -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
  if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE $PG_DB" >/dev/null
  fi
  log "postgres is up: $PG_URL (data $PG_DATA)"
  echo "$PG_URL"
}

pg_down() {
  PG_BIN="$(pg_bindir)"
  if ! pg_running; then
    log "postgres is not running"
    return 0
  fi
  log "stopping postgres"
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  log "postgres stopped"
}

pg_status() {
  PG_BIN="$(pg_bindir)"
  if pg_running; then
    echo "postgres: running (pid $(head -n 1 "$PG_DATA/postmaster.pid")) at $PG_URL, log $PG_LOG"
  elif port_open "$PG_PORT"; then
    echo "postgres: port $PG_PORT is open but not by a cluster this script started"
  else
    echo "postgres: stopped"
  fi
}

pg_clean() {
  pg_down
  rm -rf "$PG_RUN"
  log "postgres data removed ($PG_RUN)"
}

# ---------------------------------------------------------------------------------------------
# Graphite: carbon-cache from Debian's graphite-carbon (graphite-web's render API is below)
# ---------------------------------------------------------------------------------------------

ensure_carbon() {
  if ! command -v carbon-cache >/dev/null 2>&1 || ! command -v whisper-fetch >/dev/null 2>&1; then
    apt_install --no-install-recommends graphite-carbon python3-whisper
  fi
  command -v carbon-cache >/dev/null 2>&1 || die "graphite-carbon was installed but carbon-cache is not on PATH"
}

# carbon-cache's pid, when its pid file names a live carbon-cache process (not a reused pid).
graphite_pid() { pid_from_file "$GRAPHITE_PID" 'carbon-cache'; }

graphite_write_conf() {
  mkdir -p "$GRAPHITE_STORAGE/whisper" "$GRAPHITE_LOG_DIR"
  cat >"$GRAPHITE_CONF" <<EOF
# sidestream test carbon (scripts/services.sh); everything under $GRAPHITE_RUN
[cache]
STORAGE_DIR = $GRAPHITE_STORAGE/
LOCAL_DATA_DIR = $GRAPHITE_STORAGE/whisper/
WHITELISTS_DIR = $GRAPHITE_STORAGE/lists/
CONF_DIR = $GRAPHITE_RUN/
LOG_DIR = $GRAPHITE_LOG_DIR/
PID_DIR = $GRAPHITE_STORAGE/
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
WHISPER_AUTOFLUSH = True
ENABLE_TAGS = False
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $GRAPHITE_PORT
ENABLE_UDP_LISTENER = True
UDP_RECEIVER_INTERFACE = 127.0.0.1
UDP_RECEIVER_PORT = $GRAPHITE_PORT
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = 2004
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = 7002
LOG_LISTENER_CONN_SUCCESS = False
LOG_UPDATES = False
LOG_CREATES = False
EOF
  cat >"$GRAPHITE_RUN/storage-schemas.conf" <<EOF
[everything]
pattern = .*
retentions = 1s:1h,10s:1d
EOF
}

graphite_up() {
  ensure_carbon
  local pid
  pid="$(graphite_pid)"
  if [[ -z "$pid" ]]; then
    if port_open "$GRAPHITE_PORT"; then
      die "port $GRAPHITE_PORT is already taken by a process that this script did not start (no live pid in $GRAPHITE_PID)"
    fi
    graphite_write_conf
    rm -f "$GRAPHITE_PID"
    log "starting carbon-cache (logs: $GRAPHITE_LOG_DIR)"
    # carbon-cache daemonizes itself and writes the pid file; 9>&-: do not inherit main()'s lock.
    GRAPHITE_ROOT="$GRAPHITE_RUN" GRAPHITE_CONF_DIR="$GRAPHITE_RUN" GRAPHITE_STORAGE_DIR="$GRAPHITE_STORAGE" \
      carbon-cache --config="$GRAPHITE_CONF" start >"$GRAPHITE_RUN/start.log" 2>&1 </dev/null 9>&- ||
      die "carbon-cache did not start: $(tail -n 20 "$GRAPHITE_RUN/start.log")"
  else
    log "carbon-cache already running (pid $pid)"
  fi
  local deadline=$((SECONDS + WAIT_SECONDS))
  until port_open "$GRAPHITE_PORT"; do
    ((SECONDS < deadline)) || die "carbon-cache did not accept connections on 127.0.0.1:$GRAPHITE_PORT within ${WAIT_SECONDS}s; see $GRAPHITE_LOG_DIR and $GRAPHITE_RUN/start.log"
    sleep 0.2
  done
  log "graphite is up: carbon 127.0.0.1:$GRAPHITE_PORT tcp+udp (pid $(graphite_pid)), whisper $GRAPHITE_STORAGE/whisper"
}

graphite_down() { stop_pid carbon-cache "$(graphite_pid)" "$GRAPHITE_PID" 30; }

graphite_status() {
  local pid
  pid="$(graphite_pid)"
  if [[ -n "$pid" ]] && port_open "$GRAPHITE_PORT"; then
    echo "graphite: running (pid $pid) on 127.0.0.1:$GRAPHITE_PORT, whisper $GRAPHITE_STORAGE/whisper, logs $GRAPHITE_LOG_DIR"
  elif [[ -n "$pid" ]]; then
    echo "graphite: starting or unhealthy (pid $pid, port $GRAPHITE_PORT closed), logs $GRAPHITE_LOG_DIR"
  elif port_open "$GRAPHITE_PORT"; then
    echo "graphite: port $GRAPHITE_PORT is open but not by a carbon-cache this script started"
  else
    echo "graphite: stopped"
  fi
}

graphite_clean() {
  graphite_down
  rm -rf "$GRAPHITE_RUN"
  log "graphite data removed ($GRAPHITE_RUN)"
}

# ---------------------------------------------------------------------------------------------
# graphite-web: Django's server on 127.0.0.1:8080. It never reads or changes the shared
# /etc/graphite/local_settings.py: GRAPHITE_SETTINGS_MODULE names a settings module of its own under
# $GRAPHITE_WEB_RUN (on PYTHONPATH) that points at carbon's whisper dir and cache query port.
# ---------------------------------------------------------------------------------------------

ensure_graphite_web() {
  if ! command -v graphite-manage >/dev/null 2>&1; then
    apt_install --no-install-recommends graphite-web
  fi
  command -v graphite-manage >/dev/null 2>&1 || die "graphite-web was installed but graphite-manage is not on PATH"
}

graphite_web_pid() { pid_from_file "$GRAPHITE_WEB_PID" 'graphite-manage runserver'; }

graphite_web_manage() {
  GRAPHITE_SETTINGS_MODULE="$GRAPHITE_WEB_SETTINGS" PYTHONPATH="$GRAPHITE_WEB_RUN" \
    GRAPHITE_STORAGE_DIR="$GRAPHITE_STORAGE" graphite-manage "$@"
}

graphite_web_write_settings() {
  mkdir -p "$GRAPHITE_WEB_RUN/log"
  cat >"$GRAPHITE_WEB_RUN/$GRAPHITE_WEB_SETTINGS.py" <<EOF
# sidestream test graphite-web (scripts/services.sh); used instead of /etc/graphite/local_settings.py
SECRET_KEY = 'sidestream-test-only-not-secret'
TIME_ZONE = 'UTC'
LOG_ROTATION = False
DEFAULT_XFILES_FACTOR = 0
GRAPHITE_ROOT = '/usr/share/graphite-web'
STATIC_ROOT = '/usr/share/graphite-web/static'
CONF_DIR = '$GRAPHITE_WEB_RUN'
STORAGE_DIR = '$GRAPHITE_STORAGE'
WHISPER_DIR = '$GRAPHITE_STORAGE/whisper/'
INDEX_FILE = '$GRAPHITE_WEB_RUN/search_index'
LOG_DIR = '$GRAPHITE_WEB_RUN/log'
CARBONLINK_HOSTS = ['127.0.0.1:7002']
DATABASES = {
    'default': {
        'NAME': '$GRAPHITE_WEB_RUN/graphite.db',
        'ENGINE': 'django.db.backends.sqlite3',
        'USER': '',
        'PASSWORD': '',
        'HOST': '',
        'PORT': '',
    }
}
EOF
}

# True when the render API answers (a query for a path that does not exist returns []).
graphite_web_ready() {
  # python3 is there (graphite-web needs it); curl may not be.
  [[ "$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://127.0.0.1:$GRAPHITE_WEB_PORT/render?target=sidestream.none&format=json" 2>/dev/null)" == "[]" ]]
}

graphite_web_up() {
  ensure_graphite_web
  local pid
  pid="$(graphite_web_pid)"
  if [[ -z "$pid" ]]; then
    if port_open "$GRAPHITE_WEB_PORT"; then
      die "port $GRAPHITE_WEB_PORT is already taken by a process that this script did not start (no live pid in $GRAPHITE_WEB_PID)"
    fi
    graphite_web_write_settings
    graphite_web_manage migrate --run-syncdb >"$GRAPHITE_WEB_RUN/migrate.log" 2>&1 ||
      die "graphite-manage migrate failed: $(tail -n 20 "$GRAPHITE_WEB_RUN/migrate.log")"
    log "starting graphite-web on 127.0.0.1:$GRAPHITE_WEB_PORT (log: $GRAPHITE_WEB_LOG)"
    # setsid: it must outlive this script; 9>&-: do not inherit main()'s lock.
    GRAPHITE_SETTINGS_MODULE="$GRAPHITE_WEB_SETTINGS" PYTHONPATH="$GRAPHITE_WEB_RUN" \
      GRAPHITE_STORAGE_DIR="$GRAPHITE_STORAGE" \
      setsid graphite-manage runserver --noreload "127.0.0.1:$GRAPHITE_WEB_PORT" \
      >>"$GRAPHITE_WEB_LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$GRAPHITE_WEB_PID"
  else
    log "graphite-web already running (pid $pid)"
  fi
  local deadline=$((SECONDS + WAIT_SECONDS))
  until graphite_web_ready; do
    if ! pid_alive "$pid"; then
      rm -f "$GRAPHITE_WEB_PID"
      die "graphite-web exited during startup; last lines of $GRAPHITE_WEB_LOG:
$(tail -n 30 "$GRAPHITE_WEB_LOG" 2>/dev/null)"
    fi
    ((SECONDS < deadline)) || die "graphite-web did not answer on 127.0.0.1:$GRAPHITE_WEB_PORT within ${WAIT_SECONDS}s; see $GRAPHITE_WEB_LOG"
    sleep 0.3
  done
  log "graphite-web is up: http://127.0.0.1:$GRAPHITE_WEB_PORT/render (pid $pid, whisper $GRAPHITE_STORAGE/whisper)"
}

graphite_web_down() { stop_pid graphite-web "$(graphite_web_pid)" "$GRAPHITE_WEB_PID" 20; }

graphite_web_status() {
  local pid
  pid="$(graphite_web_pid)"
  if [[ -n "$pid" ]] && graphite_web_ready; then
    echo "graphite-web: running (pid $pid) on http://127.0.0.1:$GRAPHITE_WEB_PORT, log $GRAPHITE_WEB_LOG"
  elif [[ -n "$pid" ]]; then
    echo "graphite-web: starting or unhealthy (pid $pid), log $GRAPHITE_WEB_LOG"
  elif port_open "$GRAPHITE_WEB_PORT"; then
    echo "graphite-web: port $GRAPHITE_WEB_PORT is open but not by a graphite-web this script started"
  else
    echo "graphite-web: stopped"
  fi
}

# ---------------------------------------------------------------------------------------------
# Prometheus (Debian's `prometheus`, 2.42): binaries only. The package may start a system service
# of its own on :9090; it is left alone (tests never use it, they start a private instance on a
# free port with their own scrape config and a temporary tsdb directory).
# ---------------------------------------------------------------------------------------------

PROMETHEUS_BIN=/usr/bin/prometheus
PROMTOOL_BIN=/usr/bin/promtool

prometheus_up() {
  if [[ ! -x "$PROMETHEUS_BIN" ]]; then
    apt_install --no-install-recommends prometheus
  fi
  [[ -x "$PROMETHEUS_BIN" ]] || die "the prometheus package was installed but $PROMETHEUS_BIN is missing"
  [[ -x "$PROMTOOL_BIN" ]] || die "$PROMTOOL_BIN is missing (it comes with Debian's prometheus package)"
  local version
  version="$("$PROMETHEUS_BIN" --version 2>&1 | head -n 1)"
  "$PROMTOOL_BIN" --version >/dev/null 2>&1 || die "$PROMTOOL_BIN --version failed"
  log "prometheus is available: $version (tests start their own instance)"
}

prometheus_down() {
  log "prometheus: nothing to stop (tests start and stop their own instance)"
}

prometheus_status() {
  if [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]]; then
    echo "prometheus: installed ($("$PROMETHEUS_BIN" --version 2>&1 | head -n 1)); tests start their own instance"
  else
    echo "prometheus: not installed ($PROMETHEUS_BIN or $PROMTOOL_BIN missing)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Pushgateway (Debian's `prometheus-pushgateway`, 1.5): binary only, as for Prometheus. The package
# may start a system service on :9091; it is left alone (tests start a private instance on a free
# port, so pushes from parallel tests never meet).
# ---------------------------------------------------------------------------------------------

PUSHGATEWAY_BIN=/usr/bin/prometheus-pushgateway

pushgateway_up() {
  if [[ ! -x "$PUSHGATEWAY_BIN" ]]; then
    apt_install --no-install-recommends prometheus-pushgateway
  fi
  [[ -x "$PUSHGATEWAY_BIN" ]] || die "the prometheus-pushgateway package was installed but $PUSHGATEWAY_BIN is missing"
  local version
  version="$("$PUSHGATEWAY_BIN" --version 2>&1 | head -n 1)"
  log "pushgateway is available: $version (tests start their own instance)"
}

pushgateway_down() {
  log "pushgateway: nothing to stop (tests start and stop their own instance)"
}

pushgateway_status() {
  if [[ -x "$PUSHGATEWAY_BIN" ]]; then
    echo "pushgateway: installed ($("$PUSHGATEWAY_BIN" --version 2>&1 | head -n 1)); tests start their own instance"
  else
    echo "pushgateway: not installed ($PUSHGATEWAY_BIN missing)"
  fi
}

# ---------------------------------------------------------------------------------------------

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local action="${1:-}" target="${2:-all}"
  case "$action" in up | down | status | clean) ;; *) usage ;; esac
  case "$target" in kafka | kafka-cluster | postgres | graphite | prometheus | pushgateway | all) ;; *) usage ;; esac

  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR" 2>/dev/null || true
  # One services.sh at a time per run dir, so that parallel callers (test workers, CI steps) do
  # not start two brokers. flock waits for the other caller to finish.
  exec 9>"$RUN_DIR/.lock"
  flock -w 300 9 || die "another scripts/services.sh has held $RUN_DIR/.lock for 300s"

  local services=()
  if [[ "$target" == all ]]; then
    services=(kafka postgres graphite prometheus pushgateway kafka-cluster)
  else
    services=("$target")
  fi
  for s in "${services[@]}"; do
    case "$s:$action" in
    kafka:up) kafka_up ;;
    kafka:down) kafka_down ;;
    kafka:status) kafka_status ;;
    kafka:clean) kafka_clean ;;
    kafka-cluster:up) cluster_up ;;
    kafka-cluster:down) cluster_down ;;
    kafka-cluster:status) cluster_status ;;
    kafka-cluster:clean) cluster_clean ;;
    postgres:up) pg_up ;;
    postgres:down) pg_down ;;
    postgres:status) pg_status ;;
    postgres:clean) pg_clean ;;
    graphite:up) graphite_up && graphite_web_up ;;
    graphite:down) graphite_web_down && graphite_down ;;
    graphite:status) graphite_status && graphite_web_status ;;
    graphite:clean) graphite_web_down && graphite_clean ;;
    prometheus:up) prometheus_up ;;
    prometheus:down) prometheus_down ;;
    prometheus:status) prometheus_status ;;
    prometheus:clean) prometheus_down ;;
    pushgateway:up) pushgateway_up ;;
    pushgateway:down) pushgateway_down ;;
    pushgateway:status) pushgateway_status ;;
    pushgateway:clean) pushgateway_down ;;
    esac
  done
}

main "$@"
