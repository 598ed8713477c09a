// Failpoints (parsing, refusal off the lab, a crash at every journal boundary resumed to the same end) and a long
// approval wait whose hosts changed meanwhile.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sh } from '../../src/shell/sh.js';
import { readAudit, verifyAudit } from '../../src/engine/record/audit.js';
import { defineRunbook, phase } from '../../src/engine/define.js';
import { NO_FACTS, type Facts } from '../../src/etcd/facts.js';
import { factsDrift } from '../../src/engine/staleness.js';
import {
  failpointFromEnv,
  makeFailpoint,
  parseFailpoint,
  type FailpointSpec,
} from '../../src/engine/failpoint.js';
import { compile } from '../../src/engine/machine.js';
import { runFiles } from '../../src/engine/record/rundir.js';
import { execute, type EngineDeps } from '../../src/engine/runner.js';
import { executeRun, newRun, testDeps, type TestRun } from '../helpers/engine-run.js';
import { FakeExecutor, manualClock } from '../helpers/fake-executor.js';

// Two hosts, a parallel destructive step with a check, a sequential step without one, a verification.
const rb = defineRunbook({
  id: 'crashy',
  title: 'crash test runbook',
  summary: 's',
  when: 'w',
  params: z.object({}).strict(),
  nodes: [
    phase('one', 'One', [
      {
        id: 'read',
        title: 'read',
        targets: { kind: 'each' },
        actions: (c) => [{ kind: 'sh', script: sh`read ${c.member.name}` }],
      },
      {
        id: 'move',
        title: 'move aside',
        targets: { kind: 'all' },
        destructive: true,
        changes: 'moves data',
        actions: (c) => [
          { kind: 'sh', script: sh`move ${c.member.name}` },
          { kind: 'sh', script: sh`start ${c.member.name}` },
        ],
        check: (c) => sh`moved ${c.member.name}`,
      },
    ]),
    phase('two', 'Two', [
      {
        id: 'fin',
        title: 'fin',
        targets: { kind: 'pick', members: () => ['a'], describe: 'a' },
        actions: () => [{ kind: 'sh', script: sh`fin` }],
        verify: () => ({ script: sh`ok?`, waitMs: 5000, intervalMs: 1000 }),
      },
    ]),
  ],
});

class Killed extends Error {}

/** A host world: 'move' may be applied once per host; applying it twice is the bug a crash test looks for. */
function world() {
  const moved = new Map<string, number>();
  let dead = false;
  const ex = new FakeExecutor((member, command) => {
    if (dead) throw new Killed('process is dead');
    if (command.startsWith('move ')) moved.set(member, (moved.get(member) ?? 0) + 1);
    if (command.startsWith('moved ')) return { exitCode: moved.get(member) ? 0 : 1 };
    return {};
  });
  return { ex, moved, kill: () => ((dead = true), new Killed('SIGKILL')), revive: () => void (dead = false) };
}

const setup = (facts: Facts = NO_FACTS) => newRun(rb, { prefix: 'lb-fail-', facts });
const deps = (ex: FakeExecutor, failpoint?: EngineDeps['failpoint']) => testDeps(ex, { failpoint });
const run = (s: TestRun, d: EngineDeps, resume: boolean) =>
  executeRun(s, d, {
    approvals: { all: true, steps: new Set() },
    opening: resume
      ? [{ type: 'run.resume', by: 'tester', acceptedChangedRunbook: false, from: 'test' }]
      : [],
  });

/** Once killed, the fake process writes nothing more: every later append throws, as after a real SIGKILL. */
function dying(spec: FailpointSpec, w: ReturnType<typeof world>): EngineDeps['failpoint'] {
  let dead = false;
  const inner = makeFailpoint(spec, () => {
    dead = true;
    throw w.kill();
  });
  return {
    spec,
    beforeAppend: (e) => {
      if (dead) throw new Killed('dead');
      inner.beforeAppend(e);
    },
    afterAppend: (seq, e) => inner.afterAppend(seq, e),
  };
}

/** Crashes at the point, resumes without a failpoint, and checks the run ends as an uninterrupted one does. */
async function crashAndResume(spec: FailpointSpec): Promise<void> {
  const s = setup();
  const w = world();
  await expect(run(s, deps(w.ex, dying(spec, w)), false)).rejects.toBeInstanceOf(Killed);
  w.revive();
  expect(await run(s, deps(w.ex), true)).toBe('done');
  expect([...w.moved.values()]).toEqual([1, 1]);
  expect(verifyAudit(runFiles(s.runDir).audit).ok).toBe(true);
}

describe('failpoints', () => {
  it('parses the three forms and refuses anything else with a usage error', () => {
    expect(parseFailpoint('after-entry:7')).toEqual({ kind: 'after-entry', seq: 7 });
    expect(parseFailpoint('after-cmd:one/move/cp-2/1')).toEqual({
      kind: 'after-cmd',
      stateId: 'one/move',
      member: 'cp-2',
      index: 1,
    });
    for (const bad of ['after-entry:0', 'after-entry:x', 'before-cmd:a/b', 'kill', 'after-cmd:a/$(x)/0'])
      expect(() => parseFailpoint(bad)).toThrow(/is not a failpoint/);
  });

  it('is refused for an inventory outside 127.0.0.0/8 unless LIFEBOAT_FAILPOINTS_ANYWHERE=1', () => {
    const kill = () => {
      throw new Error('no');
    };
    const env = { LIFEBOAT_FAILPOINT: 'after-entry:3' };
    expect(() => failpointFromEnv(env, ['10.0.0.11', '127.0.0.2'], kill)).toThrow(/not a lab/);
    expect(failpointFromEnv(env, ['127.0.5.11'], kill)).toBeDefined();
    expect(
      failpointFromEnv({ ...env, LIFEBOAT_FAILPOINTS_ANYWHERE: '1' }, ['10.0.0.11'], kill),
    ).toBeDefined();
    expect(failpointFromEnv({}, ['10.0.0.11'], kill)).toBeUndefined();
  });

  it('a crash after every audit entry resumes to the same end, each host moved exactly once', async () => {
    const s = setup();
    const w = world();
    expect(await run(s, deps(w.ex), false)).toBe('done');
    const length = readAudit(runFiles(s.runDir).audit).length;
    expect(length).toBeGreaterThan(15);
    // The last entry is run.end: killing after it leaves nothing to resume.
    for (let seq = 1; seq < length; seq++) await crashAndResume({ kind: 'after-entry', seq });
  });

  it('a crash before and after every command resumes without applying a step twice', async () => {
    const points: Array<[string, string, number]> = [
      ['one/read', 'a', 0],
      ['one/read', 'b', 0],
      ['one/move', 'a', 0],
      ['one/move', 'a', 1],
      ['one/move', 'b', 0],
      ['one/move', 'b', 1],
      ['two/fin', 'a', 0],
    ];
    for (const [stateId, member, index] of points)
      for (const kind of ['before-cmd', 'after-cmd'] as const)
        await crashAndResume({ kind, stateId, member, index });
  });
});

describe('a long wait for an approval', () => {
  const probed: Facts = { probed: true, members: { a: { reachable: true }, b: { reachable: true } } };
  const upFacts = (etcdUp: boolean): Facts => ({
    probed: true,
    members: { a: { reachable: true, etcdUp, healthy: etcdUp }, b: { reachable: false } },
  });

  it('names what changed between two probes, and nothing when nothing did', () => {
    expect(factsDrift(upFacts(true), upFacts(true))).toEqual([]);
    expect(factsDrift(upFacts(true), upFacts(false))).toEqual([
      'a: etcd running true -> false',
      'a: healthy true -> false',
    ]);
  });

  async function askAndWait(waitMs: number, etcdStops: boolean) {
    const s = setup(probed);
    const clock = manualClock();
    let waited = false;
    const ex = new FakeExecutor((_m, command) =>
      command.includes('etcd_up=1') ? { stdout: waited && etcdStops ? '' : 'etcd_up=1\nhealthy=1\n' } : {},
    );
    const d: EngineDeps = {
      ...deps(ex),
      clock,
      prompter: {
        interactive: true,
        confirm: async () => {
          await clock.sleep(waitMs);
          waited = true;
          return true;
        },
        choose: async () => 'retry' as never,
      },
    };
    const result = execute({
      dir: s.runDir,
      record: s.record,
      runbook: rb,
      compiled: compile(rb),
      deps: d,
      approvals: { all: false, steps: new Set() },
      opening: [],
    });
    return { result, ex, s };
  }

  it('after an hour, hosts that changed stop the run before the step, saying what changed', async () => {
    const { result, ex, s } = await askAndWait(3600_000, true);
    await expect(result).rejects.toThrow(/after a long wait, and meanwhile: a: etcd running true -> false/);
    expect(ex.calls.some((c) => c.command.startsWith('move '))).toBe(false);
    expect(readAudit(runFiles(s.runDir).audit).some((e) => e.type === 'approval')).toBe(false);
  });

  it('after an hour with nothing changed, and after a short wait, the run goes on', async () => {
    for (const wait of [3600_000, 60_000]) {
      const { result, ex } = await askAndWait(wait, wait === 60_000);
      expect(await result).toBe('done');
      expect(ex.calls.filter((c) => c.command.startsWith('move ')).length).toBe(2);
    }
  });
});
