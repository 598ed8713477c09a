#!/usr/bin/env bash
# Installs what Lifeboat and its lab need, only when missing: sshd and tools from Debian, etcd built from source (Go),
# npm packages, the build.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v unshare >/dev/null 2>&1 || need_apt+=(util-linux)
command -v sudo >/dev/null 2>&1 || need_apt+=(sudo)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)         # the terminal test drives a pseudo-terminal
[ -x /usr/bin/chromium ] || need_apt+=(chromium)            # the browser tests (playwright-core drives it)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need_apt[*]}; run as root or install them with apt-get" >&2
    exit 2
  fi
  echo "setup: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  # policy-rc.d keeps the packages from starting system-wide services: the lab runs its own.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" </dev/null >/dev/null
  [ "$own_policy" = 1 ] && mv /usr/sbin/policy-rc.d "/tmp/policy-rc.d.lifeboat.$$" || true
fi

# etcd 3.5, 3.6 and 3.7 (the releases scripts/gobuild/etcd-X.Y/go.mod pin) built with Go from the module proxy, once per
# machine, into /var/cache/lifeboat/etcd (outside the checkout, so fresh clones reuse it).
bash scripts/build-etcd.sh
# rclone (the benchmark's baseline, and the CronJob's uploader) and age (the CronJob's encryption) from Debian sid,
# unpacked into .cache, never installed.
if [ ! -x .cache/debian/sid/rclone/usr/bin/rclone ] || [ ! -x .cache/debian/sid/age/usr/bin/age ]; then
  bash scripts/fetch-deb.sh sid rclone age >/dev/null ||
    echo "setup: rclone/age not fetched; the offsite benchmark has no baseline and the CronJob upload lab test skips" >&2
fi

# Kubernetes' and OpenShift's API definitions and round-trip fixtures (k8s.io/api testdata) from Debian sid, unpacked
# into .cache: scripts/gen-k8s-schema.mjs --check and the fixture sweep (test/unit/k8s-testdata.test.ts) read them.
bash scripts/fetch-deb.sh sid golang-k8s-api-dev golang-k8s-apimachinery-dev golang-k8s-apiextensions-apiserver-dev \
  golang-github-openshift-api-dev >/dev/null ||
  echo "setup: Kubernetes API sources not fetched; the schema --check and fixture sweep tests will fail" >&2

# The real Kubernetes control plane of the lab (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) at
# the release pinned in scripts/gobuild/kubernetes/go.mod: built once per machine into
# /var/cache/lifeboat/kubernetes/VERSION, outside the checkout, so fresh clones on this machine reuse it. Only when
# asked (npm run test:kubernetes): the first build takes hours on a loaded 2-core machine, longer than CI's budget.
if [ "${LIFEBOAT_KUBERNETES:-}" = 1 ]; then
  bash scripts/build-kubernetes.sh ||
    echo "setup: Kubernetes not built; lab up --control-plane real refuses (stand-in labs are unaffected)" >&2
fi

# npm packages: install when the lock file differs from the one last installed (by content: a fresh checkout's
# mtimes say nothing, and a worktree may share node_modules).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.lifeboat-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund </dev/null >/dev/null
  echo "$lock_sum" >node_modules/.lifeboat-lock-sha256
fi

# Build when any source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src runbooks tsconfig.json package.json -newer "$stamp" -print -quit)" ]; then
  echo "setup: building" >&2
  npx tsc -p tsconfig.json
  touch "$stamp"
fi
