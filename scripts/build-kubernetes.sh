#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl once per machine, at the version pinned in
# scripts/gobuild/kubernetes/go.mod, into a cache outside the checkout: $LIFEBOAT_CACHE/kubernetes/VERSION/ (default
# /var/cache/lifeboat). Builds into a temporary folder and renames it, so a half-built cache is never seen.
set -euo pipefail
cd "$(dirname "$0")/gobuild/kubernetes"
export PATH="/usr/local/go/bin:$PATH"

version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
cache="${LIFEBOAT_CACHE:-/var/cache/lifeboat}/kubernetes"
out="$cache/$version"
commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

if [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ]; then
  echo "$out"
  exit 0
fi

# The version the binaries report (/version, --version), as Kubernetes' own hack/lib/version.sh sets it.
minor=${version#v1.}
minor=${minor%%.*}
flags=()
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  flags+=("-X $pkg.gitVersion=$version" "-X $pkg.gitMajor=1" "-X $pkg.gitMinor=$minor"
    "-X $pkg.gitTreeState=clean" "-X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
done

mkdir -p "$cache"
# One build per machine at a time. --no-wait (setup.sh): while another build runs, say so and leave (exit 3), so that
# stand-in labs and unit tests go on; without it, wait for that build and use its binaries.
exec 9>"$cache/.lock"
if [ "${1:-}" = --no-wait ]; then
  flock -n 9 || {
    echo "build-kubernetes: a build of $version is under way on this machine; labs with the real control plane refuse until it ends" >&2
    exit 3
  }
else
  flock 9
fi
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ]; then
  echo "$out"
  exit 0
fi
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "build-kubernetes: building ${commands[*]} $version into $out (10-20+ minutes the first time)" >&2
start=$(date +%s)
# Static binaries without cgo, as Kubernetes' release builds them; nice: the machine is shared.
CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "-s -w ${flags[*]}" -o "$tmp/" \
  "${commands[@]/#/k8s.io/kubernetes/cmd/}"
echo "build-kubernetes: built in $(($(date +%s) - start)) s" >&2
chmod 0755 "$tmp"
mv -T "$tmp" "$out" 2>/dev/null || [ -x "$out/kube-apiserver" ]
echo "$out"
