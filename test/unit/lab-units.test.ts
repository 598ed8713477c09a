// Lab pieces without a lab: systemd command-line splitting, preflight's one-line errors, subnet and inventory checks, waitFor.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { execArgv, readEnvFile, splitWords } from '../../src/lab/standins/unit.js';
import { requireRoot } from '../../src/lab/preflight.js';
import { parseSubnet } from '../../src/lab/claim.js';
import { inventoryDoc } from '../../src/lab/inventory.js';
import { seedObjects } from '../../src/lab/seed.js';
import { waitFor } from '../../src/lab/wait.js';
import { sh } from '../../src/shell/sh.js';
import { LifeboatError } from '../../src/errors/error.js';
import { exitCodeFor } from '../../src/errors/exit.js';
import { parseInventory } from '../../src/inventory/load.js';
import { stringify } from 'yaml';
import type { Lab } from '../../src/lab/types.js';

afterEach(() => vi.restoreAllMocks());

describe('systemd ExecStart rules', () => {
  it('keeps a quoted bash -c line as one word and expands ${VAR} inside it, leaving $(...) to bash', () => {
    const argv = execArgv(
      '/bin/bash -c "GOMAXPROCS=$(nproc) /usr/bin/etcd --name=\\"${ETCD_NAME}\\" --force-new-cluster"',
      { ETCD_NAME: 'cp-1' },
    );
    expect(argv).toEqual([
      '/bin/bash',
      '-c',
      'GOMAXPROCS=$(nproc) /usr/bin/etcd --name="cp-1" --force-new-cluster',
    ]);
  });
  it('splits a lone $VAR into words and drops the - prefix', () => {
    expect(execArgv('-/usr/bin/etcd $DAEMON_ARGS', { DAEMON_ARGS: '--a=1  --b=2' })).toEqual([
      '/usr/bin/etcd',
      '--a=1',
      '--b=2',
    ]);
    expect(splitWords("a 'b c' d\\ e $$HOME", {})).toEqual(['a', 'b c', 'd e', '$HOME']);
  });
  it('reads EnvironmentFile lines with comments and quotes', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'lab-unit-')), 'etcd.conf');
    writeFileSync(f, '# [member]\nETCD_NAME="cp-1"\n\nETCD_DATA_DIR=/var/lib/etcd\n');
    expect(readEnvFile(f)).toEqual({ ETCD_NAME: 'cp-1', ETCD_DATA_DIR: '/var/lib/etcd' });
  });
});

describe('lab preflight and inputs', () => {
  it('not root: one line, exit code 2', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    let err: unknown;
    try {
      requireRoot();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LifeboatError);
    expect(exitCodeFor((err as LifeboatError).code)).toBe(2);
    expect((err as LifeboatError).oneLine()).not.toContain('\n');
  });
  it('accepts only 127.0.N blocks', () => {
    expect(parseSubnet('127.0.42')).toBe('127.0.42');
    for (const bad of ['10.0.0', '127.1.2', '127.0.0.5', '127.0.300'])
      expect(() => parseSubnet(bad)).toThrow(LifeboatError);
  });
  it('writes an inventory the real schema accepts, with paths relative to it', () => {
    const lab = {
      cluster: 'lab-127-0-42',
      mode: 'systemd',
      inventoryPath: '/x/lab/inventory.yaml',
      ssh: { identityFile: '/x/lab/ssh/id_ed25519', knownHosts: '/x/lab/ssh/known_hosts', user: 'root' },
      members: [1, 2, 3].map((i) => ({
        name: `cp-${i}`,
        address: `127.0.42.${10 + i}`,
        clientURL: `https://127.0.42.${10 + i}:2379`,
        peerURL: `https://127.0.42.${10 + i}:2380`,
        hostDir: '',
      })),
    } as unknown as Lab;
    const r = parseInventory(stringify(inventoryDoc(lab)), lab.inventoryPath);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.inventory.members[2]!.ssh).toMatchObject({
        user: 'root',
        identityFile: 'ssh/id_ed25519',
        knownHosts: 'ssh/known_hosts',
      });
      expect(r.inventory.members[0]!.tls.cert).toBe('/etc/etcd/peer.crt');
    }
  });
  it('seeds at least 1,000 keys, all under /registry, each once', () => {
    const objs = seedObjects();
    expect(objs.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(objs.map((o) => o.key)).size).toBe(objs.length);
    expect(objs.every((o) => o.key.startsWith('/registry/'))).toBe(true);
    expect(new Set(objs.map((o) => String(o.object.kind)))).toEqual(
      new Set([
        'Namespace',
        'Service',
        'ConfigMap',
        'Secret',
        'Deployment',
        'Pod',
        'CustomResourceDefinition',
        'BackupSchedule',
      ]),
    );
  });
  it('quotes lab exec arguments only when needed', () => {
    expect(sh`${['--endpoints=https://127.0.42.11:2379', "it's a b"]}`.text).toBe(
      `--endpoints=https://127.0.42.11:2379 'it'\\''s a b'`,
    );
  });
});

describe('waitFor', () => {
  it('returns the first truthy value and fails with the last reason at the deadline', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : 0), { timeoutMs: 2000, intervalMs: 1 })).toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('still down');
        },
        { timeoutMs: 50, intervalMs: 5, what: 'etcd' },
      ),
    ).rejects.toThrow(/waiting for etcd: still down/);
  });
});
