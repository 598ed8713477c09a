// The lab in systemd mode (OpenShift 3 / external etcd layout): etcd.conf, the systemctl stand-in, drop-ins, and the breaks that need no seed data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  etcdPid,
  hostPids,
  labBreak,
  labDown,
  labExec,
  labStatus,
  labUp,
  waitFor,
  type Lab,
} from '../../src/lab/index.js';
import { loadInventory } from '../../src/inventory/load.js';

describe('lab, systemd mode, 3 members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-lab-sd-'));
  let lab: Lab;
  const x = async (name: string, cmd: string) => labExec(lab, name, cmd);
  const cmdline = async (name: string) =>
    (await x(name, 'tr "\\0" " " </proc/$(systemctl show etcd -p MainPID --value)/cmdline')).stdout;
  const health = (name: string, endpoint: string) =>
    x(
      name,
      `etcdctl --endpoints ${endpoint} --cacert /etc/etcd/ca.crt --cert /etc/etcd/peer.crt --key /etc/etcd/peer.key --command-timeout=2s endpoint health`,
    );

  beforeAll(async () => {
    lab = await labUp({ dir, members: 3, mode: 'systemd' });
  });
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs etcd from /etc/etcd/etcd.conf as the etcd user, healthy over TLS with the etcd.conf certs', async () => {
    expect(loadInventory(lab.inventoryPath).topology).toBe('systemd');
    const st = await labStatus(lab);
    expect(st.members.every((m) => m.healthy && m.sshdUp)).toBe(true);
    for (const m of lab.members) {
      const r = await x(
        m.name,
        'grep ^ETCD_NAME= /etc/etcd/etcd.conf; systemctl is-active etcd; ps -o user= -p $(systemctl show etcd -p MainPID --value); stat -c "%U %a" /var/lib/etcd',
      );
      expect(r.stdout.trim().split('\n')).toEqual([`ETCD_NAME=${m.name}`, 'active', 'etcd', 'etcd 700']);
      await waitFor(async () => (await health(m.name, m.clientURL)).code === 0, {
        timeoutMs: 10_000,
        what: `etcdctl endpoint health on ${m.name}`,
      });
    }
  });

  it('systemctl stop etcd stops it, start starts it; the data dir can be moved aside meanwhile', async () => {
    const stop = await x('cp-1', 'systemctl stop etcd; systemctl is-active etcd');
    expect(stop.code).toBe(3);
    expect(stop.stdout.trim()).toBe('inactive');
    expect(etcdPid(lab, 'cp-1')).toBeNull();
    expect((await labStatus(lab)).members[0]!.etcdUp).toBe(false);
    // The data dir moves aside as on a node (runbooks do this); the machine's own /var/lib does not change.
    const aside = `/var/lib/etcd.lab-test-${lab.id}`;
    const mv = await x(
      'cp-1',
      `mv /var/lib/etcd ${aside} && install -d -m 0700 -o etcd -g etcd /var/lib/etcd && mv ${aside}/member /var/lib/etcd/ && rmdir ${aside}`,
    );
    expect(mv.code, mv.stderr).toBe(0);
    expect(existsSync(aside)).toBe(false);
    const start = await x('cp-1', 'systemctl start etcd && systemctl is-active etcd');
    expect(start.code, start.stderr).toBe(0);
    await waitFor(async () => (await labStatus(lab)).members[0]!.healthy, {
      timeoutMs: 15_000,
      what: 'cp-1 healthy again',
    });
  });

  it('a drop-in changes etcd flags, after daemon-reload (as systemd does); removing it restores them', async () => {
    const dropIn = `printf '[Service]\\nExecStart=\\nExecStart=/bin/bash -c "GOMAXPROCS=$(nproc) /usr/bin/etcd --heartbeat-interval=150 --election-timeout=1500"\\n' > /etc/systemd/system/etcd.service.d/10-flags.conf`;
    expect((await x('cp-2', dropIn)).code).toBe(0);
    const stale = await x('cp-2', 'systemctl restart etcd');
    expect(stale.stderr).toContain("Run 'systemctl daemon-reload'");
    expect(await cmdline('cp-2')).not.toContain('--heartbeat-interval=150');
    const reload = await x(
      'cp-2',
      'systemctl daemon-reload && systemctl restart etcd && systemctl status etcd',
    );
    expect(reload.code, reload.stderr).toBe(0);
    expect(reload.stdout).toContain('10-flags.conf');
    expect(await cmdline('cp-2')).toContain('--heartbeat-interval=150 --election-timeout=1500');
    await waitFor(async () => (await labStatus(lab)).members[1]!.healthy, {
      timeoutMs: 15_000,
      what: 'cp-2 healthy with the drop-in',
    });
    await x(
      'cp-2',
      'rm /etc/systemd/system/etcd.service.d/10-flags.conf && systemctl daemon-reload && systemctl restart etcd',
    );
    expect(await cmdline('cp-2')).not.toContain('--heartbeat-interval');
    await waitFor(async () => (await labStatus(lab)).members.every((m) => m.healthy), {
      timeoutMs: 15_000,
      what: 'all healthy',
    });
  });

  it('wipe-member: etcd down and the data dir empty on one member', async () => {
    await labBreak(lab, 'wipe-member', 'cp-3');
    const r = await x('cp-3', 'ls -A /var/lib/etcd | wc -l; systemctl is-active etcd');
    expect(r.stdout.trim().split('\n')).toEqual(['0', 'failed']);
    // If cp-3 led, the other two elect a new leader first.
    const st = await waitFor(
      async () => {
        const s = await labStatus(lab);
        return s.members[0]!.healthy && s.members[1]!.healthy ? s : null;
      },
      { timeoutMs: 10_000, what: 'cp-1 and cp-2 to keep quorum' },
    );
    expect(st.members.map((m) => m.etcdUp)).toEqual([true, true, false]);
  });

  it('lose-quorum: etcd down and data gone on a majority; endpoint health fails on a majority', async () => {
    const r = await labBreak(lab, 'lose-quorum', 'cp-1');
    expect(r.members.sort()).toEqual(['cp-2', 'cp-3']);
    for (const n of r.members) expect((await x(n, 'ls -A /var/lib/etcd | wc -l')).stdout.trim()).toBe('0');
    const codes = await Promise.all(lab.members.map(async (m) => (await health('cp-1', m.clientURL)).code));
    const failing = codes.filter((c) => c !== 0).length;
    expect(failing).toBeGreaterThanOrEqual(2);
    const st = await labStatus(lab);
    expect(st.members.filter((m) => m.healthy)).toHaveLength(0);
    expect(st.members[0]!.etcdUp).toBe(true); // the survivor runs, without a quorum
  });

  it('stop-all: no etcd runs anywhere', async () => {
    await labBreak(lab, 'stop-all');
    const st = await labStatus(lab);
    expect(st.members.map((m) => m.etcdUp)).toEqual([false, false, false]);
    expect(st.members.every((m) => m.sshdUp && m.hostUp)).toBe(true);
    for (const m of lab.members) expect(etcdPid(lab, m.name)).toBeNull();
  });

  it('lab down leaves nothing running', async () => {
    expect((await labDown(dir)).remaining).toEqual([]);
    expect(hostPids(lab)).toEqual([]);
  });
});
