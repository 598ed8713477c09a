// The crash sweep's classes: steps x boundary kinds x host positions, every boundary of a destructive step its own.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/lab/seed.js';
import {
  crashClasses,
  onePerClass,
  pointSpec,
  sampleClasses,
  type ClassedEntry,
} from '../helpers/crash-classes.js';

/** An uninterrupted run: `check` on two hosts (one command each), then destructive `wipe` on three, then the end. */
function runLog(): ClassedEntry[] {
  const log: Array<Omit<ClassedEntry, 'seq'>> = [{ type: 'run.start' }, { type: 'facts' }];
  const step = (stateId: string, hosts: string[], approve: boolean) => {
    log.push({ type: 'step.start', stateId, hosts });
    if (approve) log.push({ type: 'approval', stateId });
    for (const member of hosts) {
      log.push({ type: 'cmd.start', stateId, member, index: 0 });
      log.push({ type: 'cmd.end', stateId, member, index: 0, exitCode: 0 });
      log.push({ type: 'host.end', stateId, member });
    }
    log.push({ type: 'step.end', stateId });
  };
  step('check', ['cp-1', 'cp-2'], false);
  step('wipe', ['cp-1', 'cp-2', 'cp-3'], true);
  log.push({ type: 'run.end' });
  return log.map((e, i) => ({ ...e, seq: i + 1 }));
}

describe('crash classes', () => {
  const classes = crashClasses(runLog());

  it('groups a plain step by boundary kind and host position, and keeps every point of a destructive step', () => {
    const check = classes.filter((c) => c.stateId === 'check').map((c) => c.key);
    expect(check).toEqual([
      'check | after step.start | step',
      'check | after cmd.start | first',
      'check | after cmd.end | first',
      'check | after-cmd | first',
      'check | after host.end | first',
      'check | after cmd.start | last',
      'check | after cmd.end | last',
      'check | after-cmd | last',
      'check | after host.end | last',
      'check | after step.end | step',
    ]);
    const wipe = classes.filter((c) => c.stateId === 'wipe');
    // step.start, approval, 3 x (cmd.start, cmd.end, after-cmd, host.end), step.end: each its own class.
    expect(wipe).toHaveLength(15);
    expect(wipe.every((c) => c.destructive && c.points.length === 1)).toBe(true);
  });

  it('stands for every exhaustive point exactly once, and the run.end entry is no point', () => {
    const log = runLog();
    const points = classes.flatMap((c) => c.points.map(pointSpec));
    expect(new Set(points).size).toBe(points.length);
    const cmdEnds = log.filter((e) => e.type === 'cmd.end').length;
    expect(points).toHaveLength(log.length - 1 + cmdEnds);
    expect(points).not.toContain(`after-entry:${log.at(-1)!.seq}`);
  });

  it('the class sweep takes one point per class; the sample crashes inside a destructive step', () => {
    expect(onePerClass(classes, rng(1))).toHaveLength(classes.length);
    const sample = sampleClasses(classes, rng(7), 2);
    expect(sample).toHaveLength(3);
    const wipeSpecs = new Set(classes.filter((c) => c.destructive).flatMap((c) => c.points.map(pointSpec)));
    expect(sample.filter((p) => wipeSpecs.has(pointSpec(p)))).toHaveLength(1);
    expect(sampleClasses(classes, rng(7), 2)).toEqual(sample);
  });
});
