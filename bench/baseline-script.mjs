// The hand-written baseline: turns `lifeboat plan RUNBOOK --output json` into a plain bash script that does the same
// commands the way the source procedures do: one `ssh` per command, host after host, `scp` + `sha256sum` for uploads.
//
//   node bench/baseline-script.mjs PLAN.json INVENTORY.yaml > restore.sh     (then: bash restore.sh)
//
// Rules, so the baseline does the same work and is not slowed artificially:
// - each `sh` action is one `ssh HOST 'SCRIPT'` (a multi-line action is still ONE ssh, as an operator pasting it would);
// - an upload is `scp` then one `ssh` that sets the mode and checks the sha256 (the plan's own check line);
// - a step's verification (e.g. "etcd answers endpoint health") is polled with the plan's interval and deadline; for a
//   step that runs on all hosts the actions run host after host first, then the checks (you cannot wait for etcd's
//   health on member 1 before starting member 2: no quorum);
// - retries as the plan says (1 s apart), like the engine;
// - OpenSSH defaults (cipher, kex), BatchMode, the inventory's key and known_hosts, `-F /dev/null` so the local
//   ~/.ssh/config cannot change the numbers.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Per member: {target: user@address, port, sshArgs[]} from a Lifeboat inventory file. */
export function hostsOf(inventoryPath) {
  const inv = parse(readFileSync(inventoryPath, 'utf8'));
  const base = dirname(resolve(inventoryPath));
  const abs = (p) => (isAbsolute(p) ? p : join(base, p));
  const out = {};
  for (const m of inv.members) {
    const s = { ...(inv.ssh ?? {}), ...(m.ssh ?? {}) };
    const args = ['-F', '/dev/null', '-o', 'BatchMode=yes'];
    if (s.identityFile) args.push('-i', abs(s.identityFile));
    if (s.knownHosts) args.push('-o', `UserKnownHostsFile=${abs(s.knownHosts)}`);
    out[m.name] = {
      target: `${s.user ?? 'root'}@${m.address}`,
      address: m.address,
      user: s.user ?? 'root',
      port: s.port ?? 22,
      args,
    };
  }
  return out;
}

export function baselineScript(plan, hosts) {
  const lines = [
    '#!/usr/bin/env bash',
    `# Baseline for '${plan.runbook}' on ${plan.cluster}: the plan's commands, one ssh per command, host after host.`,
    'set -uo pipefail',
    'fail() { echo "baseline: $*" >&2; exit 1; }',
    // run HOST_VAR RETRIES SCRIPT: one ssh; on failure retry after 1 s, like the engine.
    'run() { local t=$1 r=$2 s=$3 a; for ((a=0; a<=r; a++)); do ssh "${SSH[@]}" -p "${PORT[$t]}" "${TARGET[$t]}" "$s" && return 0; sleep 1; done; fail "command failed on $t"; }',
    // poll HOST TRIES INTERVAL SCRIPT: a verification with a deadline.
    'poll() { local t=$1 n=$2 i=$3 s=$4 a; for ((a=0; a<n; a++)); do ssh "${SSH[@]}" -p "${PORT[$t]}" "${TARGET[$t]}" "$s" >/dev/null 2>&1 && return 0; sleep "$i"; done; fail "verification timed out on $t"; }',
    'declare -A TARGET PORT',
  ];
  const first = Object.values(hosts)[0];
  lines.push(`SSH=(${first.args.map(q).join(' ')})`);
  for (const [name, h] of Object.entries(hosts))
    lines.push(`TARGET[${q(name)}]=${q(h.target)}; PORT[${q(name)}]=${h.port}`);
  const pollLine = (s, h) => {
    const v = h.verify;
    const interval = (v.intervalMs ?? 500) / 1000;
    const tries = Math.max(1, Math.ceil((v.waitMs ?? 0) / (v.intervalMs ?? 500)));
    return `poll ${q(h.member)} ${tries} ${interval} ${q(v.script)}`;
  };
  for (const item of plan.items) {
    if (item.kind !== 'step') continue;
    if (item.local)
      throw new Error(
        `step ${item.stateId} runs on the operator machine; the baseline generator does not script local steps`,
      );
    lines.push('', `echo "== ${item.stateId} $(date +%s%3N)" >&2`);
    for (const h of item.hosts) {
      const host = hosts[h.member];
      if (!host) throw new Error(`the plan names ${h.member}, which is not in the inventory`);
      for (const a of h.actions) {
        if (a.kind === 'sh') lines.push(`run ${q(h.member)} ${item.retries ?? 0} ${q(a.script)}`);
        else if (a.kind === 'upload') {
          const mode = (a.mode ?? 0o600).toString(8);
          lines.push(
            `scp -q ${first.args.map(q).join(' ')} -P ${host.port} ${q(a.from)} ${q(`${host.target}:${a.to}`)} || fail "scp to ${h.member}"`,
          );
          const check = h.check ?? `ls -l ${q(a.to)}`;
          lines.push(`run ${q(h.member)} 0 ${q(`chmod ${mode} ${q(a.to)} && ${check}`)}`);
        } else if (a.kind === 'download') {
          lines.push(
            `scp -q ${first.args.map(q).join(' ')} -P ${host.port} ${q(`${host.target}:${a.from}`)} ${q(a.to)} || fail "scp from ${h.member}"`,
          );
        }
      }
      if (h.verify && !item.parallel) lines.push(pollLine(item, h));
    }
    if (item.parallel) for (const h of item.hosts) if (h.verify) lines.push(pollLine(item, h));
  }
  lines.push('', 'echo "== end $(date +%s%3N)" >&2', '');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [planPath, inventoryPath] = process.argv.slice(2);
  if (!planPath || !inventoryPath) {
    process.stderr.write('usage: node bench/baseline-script.mjs PLAN.json INVENTORY.yaml > script.sh\n');
    process.exit(2);
  }
  process.stdout.write(baselineScript(JSON.parse(readFileSync(planPath, 'utf8')), hostsOf(inventoryPath)));
}
