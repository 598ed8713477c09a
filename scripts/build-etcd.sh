#!/usr/bin/env bash
# Builds etcd, etcdctl and etcdutl of each pinned etcd line from the Go module proxy, once per machine, into a cache
# outside the checkout (fresh clones on the same machine reuse it). The release of each line is pinned in one place:
# scripts/gobuild/etcd-X.Y/go.mod (a wrapper module: go.mod + go.sum, no etcd code).
#
# Usage: scripts/build-etcd.sh [--print-dir] [X.Y ...]   (default: every line under scripts/gobuild)
#   -> /var/cache/lifeboat/etcd/<release>/{etcd,etcdctl,etcdutl}; LIFEBOAT_ETCD_CACHE overrides the folder, and a user
#      who cannot write /var/cache gets ${XDG_CACHE_HOME:-~/.cache}/lifeboat/etcd (src/lab/etcdbin.ts looks in the same
#      places). Two setups at once are safe: each builds into its own temp folder and renames it into place.
set -euo pipefail
cd "$(dirname "$0")/.."

# The cache folder: the override, else /var/cache when writable, else the user's cache.
cache_root() {
  if [ -n "${LIFEBOAT_ETCD_CACHE:-}" ]; then echo "$LIFEBOAT_ETCD_CACHE"; return; fi
  if mkdir -p /var/cache/lifeboat/etcd 2>/dev/null && [ -w /var/cache/lifeboat/etcd ]; then
    echo /var/cache/lifeboat/etcd
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/lifeboat/etcd"
  fi
}

print_dir=0
if [ "${1:-}" = --print-dir ]; then print_dir=1; shift; fi
lines=("$@")
if [ ${#lines[@]} -eq 0 ]; then
  for d in scripts/gobuild/etcd-*/; do lines+=("$(basename "$d" | sed 's/^etcd-//')"); done
fi

root=$(cache_root)
mkdir -p "$root"
for line in "${lines[@]}"; do
  wrapper=scripts/gobuild/etcd-$line
  [ -f "$wrapper/go.mod" ] || { echo "build-etcd: no wrapper module for etcd $line ($wrapper/go.mod)" >&2; exit 2; }
  release=$(awk '$1 == "go.etcd.io/etcd/etcdutl/v3" && $2 ~ /^v/ { sub(/^v/, "", $2); print $2; exit }' "$wrapper/go.mod")
  [ -n "$release" ] || { echo "build-etcd: $wrapper/go.mod pins no go.etcd.io/etcd/etcdutl/v3" >&2; exit 2; }
  dest=$root/$release
  if [ "$print_dir" = 1 ]; then echo "$dest"; continue; fi
  built() { [ -x "$dest/etcd" ] && [ -x "$dest/etcdctl" ] && [ -x "$dest/etcdutl" ]; }
  if built; then continue; fi
  # A second setup waits for the first's build of this release instead of building it again.
  exec 9>"$root/.build-$release.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if built; then exec 9>&-; continue; fi

  command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null 2>&1 ||
    { echo "build-etcd: etcd $release needs Go (>= the go line of $wrapper/go.mod) and the Go module proxy; install Go at /usr/local/go" >&2; exit 2; }
  echo "build-etcd: building etcd $release into $dest (a few minutes, once per machine)" >&2
  tmp=$(mktemp -d "$root/.build-$release.XXXXXX")
  # 3.6+ ship the server's main package in server/v3; 3.5's wrapper carries a three-line main (./etcd).
  if grep -q '^\s*go.etcd.io/etcd/server/v3$' "$wrapper/go.mod"; then server=go.etcd.io/etcd/server/v3; else server=./etcd; fi
  if ! (cd "$wrapper" && GOFLAGS=-mod=readonly nice -n 19 go build -trimpath -o "$tmp/" \
    "$server" go.etcd.io/etcd/etcdutl/v3 go.etcd.io/etcd/etcdctl/v3) >"$tmp.log" 2>&1; then
    echo "build-etcd: go build of etcd $release failed:" >&2
    tail -n 20 "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    exit 2
  fi
  rm -f "$tmp.log"
  [ -x "$tmp/server" ] && mv "$tmp/server" "$tmp/etcd"
  # Each binary must say the pinned release before the folder is published.
  said="$("$tmp/etcd" --version | head -n1) / $("$tmp/etcdctl" version | head -n1) / $("$tmp/etcdutl" version | head -n1)"
  [ "$said" = "etcd Version: $release / etcdctl version: $release / etcdutl version: $release" ] ||
    { echo "build-etcd: the binaries built for etcd $release say: $said" >&2; rm -rf "$tmp"; exit 2; }
  chmod 0755 "$tmp"
  # Another setup may have published the same release meanwhile: then its copy stays and ours goes.
  mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
  echo "build-etcd: etcd $release ready in $dest" >&2
  exec 9>&-
done
