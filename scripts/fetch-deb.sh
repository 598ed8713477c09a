#!/usr/bin/env bash
# Fetches Debian packages of another suite (e.g. trixie, sid) into the project's cache, never into the system:
# a private apt sources list on the machine's own mirror, `apt-get download`, `dpkg-deb -x`.
# Usage: scripts/fetch-deb.sh SUITE PACKAGE...   -> each unpacked at .cache/debian/SUITE/PACKAGE/ (printed, one a line)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:?usage: scripts/fetch-deb.sh SUITE PACKAGE...}
shift
case "$suite" in *[!a-z-]* | '') echo "fetch-deb: suite '$suite' is not a Debian suite name" >&2; exit 2 ;; esac
root="$PWD/.cache/debian/$suite"
apt_dir="$root/.apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs"

# The machine's own mirror: the first URI of the system's deb822 or one-line sources (never a new host).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- '-security' | head -1 || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "fetch-deb: no Debian mirror found in /etc/apt/sources.list(.d); add one or unpack the packages into $root by hand" >&2; exit 2; }
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$mirror" "$suite" >"$apt_dir/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o APT::Get::List-Cleanup=0
  -o Debug::NoLocking=1)

updated=0
for pkg in "$@"; do
  case "$pkg" in *[!a-z0-9.+-]* | '') echo "fetch-deb: '$pkg' is not a package name" >&2; exit 2 ;; esac
  dest="$root/$pkg"
  if [ ! -f "$dest/.unpacked" ]; then
    if [ "$updated" = 0 ]; then
      apt-get "${apt_opts[@]}" update </dev/null >"$apt_dir/update.log" 2>&1 ||
        { echo "fetch-deb: apt-get update of '$suite' on $mirror failed (see $apt_dir/update.log)" >&2; exit 2; }
      updated=1
    fi
    rm -f "$apt_dir/debs/${pkg}_"*.deb
    (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "$pkg" </dev/null >"$apt_dir/download.log" 2>&1) ||
      { echo "fetch-deb: apt-get download $pkg ($suite) failed (see $apt_dir/download.log)" >&2; exit 2; }
    rm -rf "$dest.part" && mkdir -p "$dest.part"
    dpkg-deb -x "$apt_dir/debs/${pkg}_"*.deb "$dest.part"
    dpkg-deb -f "$apt_dir/debs/${pkg}_"*.deb Version >"$dest.part/.version"
    touch "$dest.part/.unpacked"
    rm -rf "$dest" && mv "$dest.part" "$dest"
  fi
  echo "$dest"
done
