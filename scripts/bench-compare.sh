#!/usr/bin/env bash
# Side-by-side benchmark of this checkout against another revision, for "no regression" checks:
#
#   scripts/bench-compare.sh BASE_REV [ROUNDS]
#
# Builds BASE_REV in a temporary git worktree (sharing this checkout's node_modules), then runs
# `bench/run.ts --only throughput,kafka` alternately in the base and in this checkout, ROUNDS times
# each (default 3), so both see the same machine and the same broker. Prints, per revision, every
# run's in-memory engine/plain-loop ratio and Kafka engine/raw-kafkajs ratio and their medians.
# Needs the Kafka broker of `scripts/services.sh up`. Extra arguments for bench/run.ts can be given
# in BENCH_ARGS (default: a 50 MB receiver-recovery run instead of 1 GB, 2 Kafka rounds).
set -euo pipefail
BASE="${1:?usage: scripts/bench-compare.sh BASE_REV [ROUNDS]}"
ROUNDS="${2:-3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'git -C "$HERE" worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
export SS_BENCH_WAL_RECOVERY_MB="${SS_BENCH_WAL_RECOVERY_MB:-50}"
read -r -a EXTRA <<<"${BENCH_ARGS:---kafka-rounds 2}"

git -C "$HERE" worktree add --detach "$WORK/base" "$BASE" >/dev/null
ln -s "$HERE/node_modules" "$WORK/base/node_modules"
(cd "$WORK/base" && npm run build --silent)
(cd "$HERE" && npm run build --silent)

for round in $(seq 1 "$ROUNDS"); do
  for side in base head; do
    dir="$HERE"
    [[ "$side" == base ]] && dir="$WORK/base"
    echo "[bench-compare] round $round/$ROUNDS: $side" >&2
    (cd "$dir" && npx tsx bench/run.ts --only throughput,kafka "${EXTRA[@]}" --json "$WORK/$side-$round.json" >"$WORK/$side-$round.log" 2>&1) ||
      { cat "$WORK/$side-$round.log" >&2; exit 1; }
  done
done

node -e '
  const fs = require("node:fs");
  const [dir, rounds, base] = process.argv.slice(1);
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const out = {};
  for (const side of ["base", "head"]) {
    const runs = [];
    for (let r = 1; r <= Number(rounds); r++) runs.push(JSON.parse(fs.readFileSync(`${dir}/${side}-${r}.json`, "utf8")));
    const memory = runs.map((j) => j.throughput.engines.at(-1).medianRatio);
    const kafka = runs.map((j) => j.kafka.throughput?.medianRatio).filter((x) => x !== undefined);
    out[side] = { memory, kafka, memoryMedian: median(memory), kafkaMedian: kafka.length ? median(kafka) : null, load: runs.map((j) => j.load) };
  }
  console.log(JSON.stringify({ base, ...out }, null, 2));
' "$WORK" "$ROUNDS" "$BASE"
