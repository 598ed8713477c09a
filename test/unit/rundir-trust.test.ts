// A run dir is untrusted input: a forged run.json or snapshot.json is refused naming the field; approvals only count
// from a verifying chain and, when the members hold anchors, only up to the newest anchored entry.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Redactor } from '../../src/secrets/redact.js';
import { AuditLog, readAudit } from '../../src/engine/record/audit.js';
import { checkAnchors, anchoredSeq } from '../../src/engine/record/anchor.js';
import { defineRunbook, phase } from '../../src/engine/define.js';
import { NO_FACTS } from '../../src/etcd/facts.js';
import { compile } from '../../src/engine/machine.js';
import { plan } from '../../src/engine/plan.js';
import {
  createRunDir,
  readRunRecord,
  readSnapshot,
  runFiles,
  writeAtomic,
} from '../../src/engine/record/rundir.js';
import type { RunRecord } from '../../src/engine/record/rundir.js';
import { execute, type EngineDeps } from '../../src/engine/runner.js';
import { loadInventory } from '../../src/inventory/load.js';
import { sh } from '../../src/shell/sh.js';
import { FakeExecutor, manualClock } from '../helpers/fake-executor.js';

const rb = defineRunbook({
  id: 'unit',
  title: 't',
  summary: 's',
  when: 'w',
  params: z.object({}).strict(),
  nodes: [
    phase('one', 'One', [
      {
        id: 'look',
        title: 'read',
        targets: { kind: 'each' },
        actions: () => [{ kind: 'sh', script: sh`look` }],
      },
      {
        id: 'cut',
        title: 'cut',
        targets: { kind: 'each' },
        destructive: true,
        actions: () => [{ kind: 'sh', script: sh`cut` }],
      },
    ]),
  ],
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lb-trust-'));
  const invPath = join(dir, 'inventory.yaml');
  writeFileSync(
    invPath,
    'apiVersion: lifeboat/v1\ncluster: unit\ntopology: static-pod\nmembers:\n  - { name: a, address: 127.0.0.2 }\n',
  );
  const ctx = {
    inventory: loadInventory(invPath),
    facts: NO_FACTS,
    params: {},
    runId: '20261122T100000Z-unit-abcdef',
    stamp: '20261122T100000Z',
    files: {},
  };
  const runDir = join(dir, 'run');
  createRunDir(runDir);
  const record: RunRecord = {
    version: 1,
    runId: ctx.runId,
    runbook: 'unit',
    runbookHash: 'a'.repeat(64),
    inventoryPath: invPath,
    inventoryHash: 'b'.repeat(64),
    params: {},
    stamp: ctx.stamp,
    startedAt: '2026-11-22T10:00:00.000Z',
    facts: NO_FACTS,
    files: {},
    plan: plan(rb, ctx),
    secretParams: [],
  };
  writeAtomic(runFiles(runDir).record, JSON.stringify(record));
  return { runDir, record };
}

const deps = (ex: FakeExecutor, over: Partial<EngineDeps> = {}): EngineDeps => ({
  executor: ex,
  clock: manualClock(),
  prompter: { interactive: false, confirm: async () => false, choose: async () => 'retry' as never },
  listeners: [],
  redactor: new Redactor(),
  operator: 'tester',
  ...over,
});

const go = (s: ReturnType<typeof setup>, d: EngineDeps, all = false) =>
  execute({
    dir: s.runDir,
    record: s.record,
    runbook: rb,
    compiled: compile(rb),
    deps: d,
    approvals: { all, steps: new Set() },
    opening: [],
  });

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('run.json and snapshot.json are parsed, not trusted', () => {
  it('a $(...) in stamp and runId, a relative inventory path: exit 2 naming every field', () => {
    const s = setup();
    const f = runFiles(s.runDir).record;
    const doc = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      f,
      JSON.stringify({ ...doc, stamp: '$(touch X)', runId: 'r`id`', inventoryPath: 'inv.yaml' }),
    );
    const e = errorOf(() => readRunRecord(s.runDir));
    expect(e.code).toBe('input');
    expect(e.message).toMatch(/run\.json is damaged or forged/);
    for (const field of ['stamp', 'runId', 'inventoryPath']) expect(e.message).toContain(`${field}:`);
    writeFileSync(
      f,
      JSON.stringify({
        ...doc,
        facts: { ...NO_FACTS, members: { a: { reachable: true, etcdctl: '/x;rm' } } },
      }),
    );
    expect(errorOf(() => readRunRecord(s.runDir)).message).toContain('facts.members.a.etcdctl');
    writeFileSync(f, '{"version":');
    expect(errorOf(() => readRunRecord(s.runDir)).message).toMatch(/not readable JSON/);
  });

  it('a snapshot.json moved past the destructive step is refused with nothing run', async () => {
    const s = setup();
    const ex = new FakeExecutor();
    await expect(go(s, deps(ex))).rejects.toMatchObject({ code: 'approval' });
    writeFileSync(runFiles(s.runDir).snapshot, JSON.stringify({ status: 'active', value: '$(x)' }));
    expect(errorOf(() => readSnapshot(s.runDir)).message).toMatch(
      /snapshot\.json is damaged or forged: value/,
    );
    writeFileSync(runFiles(s.runDir).snapshot, JSON.stringify({ status: 'active', value: 'nowhere' }));
    await expect(go(s, deps(new FakeExecutor()))).rejects.toThrow(/not a state of this runbook/);
    writeFileSync(runFiles(s.runDir).snapshot, JSON.stringify({ status: 'done', value: 'done' }));
    const ex2 = new FakeExecutor();
    await expect(go(s, deps(ex2))).rejects.toMatchObject({ code: 'input' });
    expect(ex2.calls).toEqual([]);
  });
});

describe('approvals come from the verified, anchored chain only', () => {
  it('a forged approval line (chain broken) is refused, exit 2, nothing run', async () => {
    const s = setup();
    const ex = new FakeExecutor();
    await expect(go(s, deps(ex))).rejects.toMatchObject({ code: 'approval' });
    const f = runFiles(s.runDir).audit;
    const last = readAudit(f).at(-1)!;
    appendFileSync(
      f,
      JSON.stringify({
        seq: last.seq + 1,
        ts: last.ts,
        type: 'approval',
        stateId: 'one/cut',
        by: 'x',
        how: 'prompt',
        prevHash: last.hash,
        hash: 'f'.repeat(64),
      }) + '\n',
    );
    const ex2 = new FakeExecutor();
    await expect(go(s, deps(ex2))).rejects.toMatchObject({ code: 'input' });
    expect(ex2.calls).toEqual([]);
  });

  it('a forged approval with a recomputed chain, after the newest anchor, does not approve the step', async () => {
    const s = setup();
    const ex = new FakeExecutor();
    await expect(go(s, deps(ex))).rejects.toMatchObject({ code: 'approval' });
    const f = runFiles(s.runDir).audit;
    const anchoredAt = readAudit(f).length;
    const log = new AuditLog(f); // the forger appends with a valid hash: the chain alone cannot tell
    log.append({ type: 'approval', stateId: 'one/cut', by: 'forger', how: 'prompt' }, new Date());
    log.close();
    const ex2 = new FakeExecutor();
    await expect(go(s, deps(ex2, { trustApprovalsUpTo: anchoredAt }))).rejects.toMatchObject({
      code: 'approval',
    });
    expect(ex2.calls.map((c) => c.command)).not.toContain('cut');
    // Without the anchors' limit the same log would have approved it: the test can fail.
    const ex3 = new FakeExecutor();
    expect(await go(s, deps(ex3))).toBe('done');
    expect(ex3.calls.map((c) => c.command)).toContain('cut');
  });

  it('anchors: a cut tail and a rewritten entry are named; the vouched-for entry is the newest anchor', async () => {
    const s = setup();
    const anchors: Array<{ seq: number; hash: string }> = [];
    await go(s, deps(new FakeExecutor(), { anchor: async (h) => void anchors.push(h) }), true);
    const entries = readAudit(runFiles(s.runDir).audit);
    expect(anchors.length).toBeGreaterThan(1);
    const newest = { member: 'a', ...anchors.at(-1)! };
    expect(checkAnchors(entries, [newest])).toEqual([]);
    expect(anchoredSeq([newest])).toBe(newest.seq);
    expect(checkAnchors(entries.slice(0, newest.seq - 2), [newest])[0]).toMatch(
      /shorter than its anchor on a/,
    );
    const edited = entries.map((e, i) => (i === newest.seq - 1 ? { ...e, hash: '0'.repeat(64) } : e));
    expect(checkAnchors(edited, [newest])[0]).toMatch(/rewritten/);
  });
});

describe('values read back from hosts are re-validated', () => {
  it('a member answering with a hostile etcdctl path, user or member URL counts as unreachable, naming the field', async () => {
    const { gatherFacts } = await import('../../src/etcd/probe.js');
    const s = setup();
    const inv = loadInventory(s.record.inventoryPath);
    for (const [out, field] of [
      ['etcdctl=/usr/bin/etcdctl;touch X\n', 'etcdctl'],
      ['etcd_up=1\netcd_user=$(touch X)\n', 'etcdUser'],
      ['ctr_crictl=abc`id`\n', 'containers.crictlEtcd'],
      ['etcd_version=3.5.0 $(x)\n', 'etcdVersion'],
    ] as const) {
      const f = await gatherFacts(inv, new FakeExecutor(() => ({ stdout: out })), new Date());
      expect(f.members.a, out).toMatchObject({ reachable: false });
      expect(f.members.a?.error).toContain(field);
    }
    const good = await gatherFacts(
      inv,
      new FakeExecutor(() => ({
        stdout: 'etcdctl=/usr/bin/etcdctl\netcdctl_version=3.5.21\netcd_user=etcd\n',
      })),
      new Date(),
    );
    expect(good.members.a).toMatchObject({ reachable: true, etcdctl: '/usr/bin/etcdctl', etcdUser: 'etcd' });
  });
});
