// The taint test: hostile values in --set values, inventory paths and names, and values read back from hosts, across
// every runbook x topology x tool mode; every rendered script runs under sh with stub binaries that record argv, in a
// mount namespace where / is read-only. No injected command may run, and each hostile value must arrive as one word.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requires } from '../helpers/capability.js';
import { probeScript } from '../../src/etcd/facts.js';
import { matrix, planOf, scriptsOf, type Case } from '../helpers/plans.js';

const root = mkdtempSync(join(tmpdir(), 'lb-taint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const W = join(root, 'w'); // a tmpfs inside the namespace: the only writable place
mkdirSync(W);
/** Every injection shape at once; no slash, so a path's basename keeps it whole. */
const CORE = '$(touch LBTAINT) `touch LBTAINT` ;touch LBTAINT \'" && touch LBTAINT |touch LBTAINT';
const TEXT = `t ${CORE}\ntouch LBTAINT\n`;
const path = (name: string) => `${W}/${name} ${CORE}`;

const stubs = join(root, 'bin');
mkdirSync(stubs);
const stub = join(root, 'stub');
writeFileSync(
  stub,
  `#!/bin/sh\n{ printf '%s\\0' "\${0##*/}"; for a in "$@"; do printf '%s\\0' "$a"; done; printf '\\001'; } >>"$LB_LOG"\n` +
    `case "\${0##*/} $*" in "touch "*LBTAINT*) : >"$LB_MARK/injected";; esac\n` +
    // grep answers yes then no, alternately: every wait loop (until grep / until ! grep) ends on its first turns.
    `if [ "\${0##*/}" = grep ]; then n=0; [ -f "$LB_MARK/../g" ] && read n <"$LB_MARK/../g"; n=$((n+1)); echo $n >"$LB_MARK/../g"; exit $((n % 2 == 0)); fi\nexit 0\n`,
);
chmodSync(stub, 0o755);
const names = new Set([
  'etcdctl',
  'etcdutl',
  'crictl',
  'docker',
  'kubectl',
  'systemctl',
  'k3s',
  'ss',
  'timeout',
  'sudo',
]);
for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin'])
  for (const n of readdirSync(d)) if (/^[A-Za-z0-9._+-]+$/.test(n)) names.add(n);
for (const n of names) symlinkSync(stub, join(stubs, n));

// TAINT=full runs every case of the matrix; by default a Latin square of it (every pair of runbook scenario, topology
// and tool mode meets), since each case runs a few hundred stubbed processes.
const FULL = process.env.TAINT === 'full';

const hostile = (): Case[] =>
  matrix({
    pairwise: !FULL,
    inventory: {
      top: { cluster: TEXT },
      member: (i) => ({
        etcd: {
          dataDir: path(`data-${i}`),
          backupDir: path(`backup-${i}`),
          manifest: path(`etcd-${i}.yaml`),
          apiserverManifest: path(`apiserver-${i}.yaml`),
          config: path(`etcd-${i}.conf`),
          tls: { ca: path('ca.crt'), cert: path('c.crt'), key: path('c.key') },
        },
      }),
    },
    params: { to: path('to') },
    readBack: { version: `3.5.21${CORE}`, user: `etcd${CORE}`, cid: `abc${CORE}`, image: `img:${CORE}` },
    stamp: '20260101T000000Z',
  }).map((c) => {
    if (!c.ctx.params.snapshot) return c;
    const snap = path('snap.db');
    return {
      ...c,
      ctx: {
        ...c.ctx,
        params: { ...c.ctx.params, snapshot: snap },
        files: { [snap]: c.ctx.files['/snap.db']! },
      },
    };
  });

const canNamespace = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;

/** Runs the scripts (each a function, called in a subshell) in the namespace; returns the recorded argv and marks. */
function runAll(scripts: string[]): { calls: string[][]; injected: boolean; out: string } {
  const file = join(root, `case-${process.hrtime.bigint()}.sh`);
  const body = scripts.map((s, i) => `f${i}() {\n${s}\n}`).join('\n');
  const calls = scripts.map((_, i) => `( f${i} ) </dev/null >/dev/null 2>&1`).join('\n');
  writeFileSync(file, `${body}\n${calls}\n`);
  const inner = [
    'mount -o remount,bind,ro / && mount -t tmpfs none "$W" || exit 97',
    'mkdir "$W/mark" && cd "$W/mark" && export LB_LOG="$W/log" LB_MARK="$W/mark" && : >"$LB_LOG"',
    `PATH=${stubs} /bin/sh ${file}`,
    '/bin/ls -A "$W/mark"; printf "==LOG==\\n"; /bin/cat "$LB_LOG"',
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', inner], {
    env: { W, PATH: '/usr/bin:/bin:/usr/sbin:/sbin' },
    timeout: 120_000,
    encoding: 'latin1',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`namespace run failed (${r.status} ${r.signal}): ${r.stderr}`);
  const [marks = '', log = ''] = r.stdout.split('==LOG==\n');
  return {
    calls: log
      .split('\x01')
      .filter(Boolean)
      .map((x) => x.split('\0').slice(0, -1)),
    injected: marks.includes('injected'),
    out: r.stdout.slice(0, 400),
  };
}

/** Cases whose scripts stopped (on the stubs' answers) before any tool saw a hostile value. */
const unreached: string[] = [];

describe.runIf(requires('mount namespaces (unshare)', canNamespace))('taint', () => {
  const cases = hostile();
  it('the cases are the sh -n matrix (or a Latin square of it where every pair meets), with hostile values everywhere', () => {
    const all = matrix();
    expect(cases.length).toBe(FULL ? all.length : all.length / 4);
    expect(all.length).toBeGreaterThanOrEqual(96);
    const pairs = (list: Case[]) =>
      new Set(
        list.flatMap(({ axes: a }) => [
          `scenario ${a.scenario} on ${a.topology}`,
          `scenario ${a.scenario} with ${a.mode}`,
          `${a.topology} with ${a.mode}`,
        ]),
      );
    expect([...pairs(cases)].sort()).toEqual([...pairs(all)].sort());
  });
  it('the harness sees an unquoted value run, and a split one', () => {
    const r = runAll(['echo $(touch LBTAINT)', `cat ${W}/x LBTAINT-half`]);
    expect(r.injected).toBe(true);
    expect(
      r.calls.some((c) => c[0] === 'cat' && c.some((w) => w.includes('LBTAINT') && !w.includes(CORE))),
    ).toBe(true);
  });
  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: nothing injected runs; each value is one word',
    (_n, c) => {
      const scripts = [
        ...scriptsOf(planOf(c)).map((s) => s.script),
        ...c.ctx.inventory.members.map((m) => probeScript(m)),
      ];
      const r = runAll(scripts);
      expect(r.calls.length, r.out).toBeGreaterThan(scripts.length);
      const touched = r.calls.filter((a) => a[0] === 'touch' && a.some((x) => x.includes('LBTAINT')));
      expect(touched, 'an injected command ran').toEqual([]);
      expect(r.injected).toBe(false);
      // Every word that carries part of a hostile value carries all of it: nothing was split or expanded.
      const split = r.calls.flatMap((a) =>
        a
          .filter((w) => w.includes('LBTAINT') && !w.includes(CORE))
          .map((w) => `${a[0]}: ${JSON.stringify(w)}`),
      );
      expect(split).toEqual([]);
      const refused = planOf(c).refusal !== undefined; // nothing of a refused plan runs: no tool to reach
      if (!refused && !r.calls.some((a) => a.some((w) => w.includes(CORE)))) unreached.push(c.name);
    },
  );
  it('the hostile values reached the tools in (nearly) every case', () => {
    // With host tools, replace-member and migrate-flags on static-pod (their first step moves the manifest, absent
    // under the stubs) and defrag stop at a check before a tool sees a value.
    // renew-certs on docker reads every path from `docker inspect` (empty under the stubs): no inventory value to carry.
    const early = /^(replace-member static-pod|migrate-flags static-pod|defrag \S+|renew-certs docker) host$/;
    expect(unreached.filter((n) => !early.test(n))).toEqual([]);
    expect(unreached.length).toBeLessThanOrEqual(6);
  });
});
