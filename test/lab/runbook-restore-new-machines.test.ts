// Restore onto new machines (docs/procedures.md#restoring-onto-new-machines): a `lifeboat backup` of one lab restored onto a `lab up --bare` lab of 3 new
// hosts at other addresses: the backup's PKI and manifests put in place, member certs re-issued for the new addresses,
// every key and value of the backup, no stale API server leases, the kubernetes Endpoints naming only the new servers.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labExec, labUp, waitFor, type Lab } from '../../src/lab/index.js';
import {
  cli,
  clusterValues,
  expectCode,
  expectHealthyCluster,
  expectSameData,
  hostRead,
  labEtcdVersion,
  snapshotValues,
} from './runbook-helpers.js';

const LEASES = '/registry/masterleases/';
const ENDPOINTS = '/registry/services/endpoints/default/kubernetes';
const SLICE = '/registry/endpointslices/default/kubernetes';
/** The API server stand-ins rewrite their leases and the kubernetes Endpoints and EndpointSlice: the rest must not change. */
const withoutLeases = (m: Map<string, Buffer>) =>
  new Map([...m].filter(([k]) => !k.startsWith(LEASES) && k !== ENDPOINTS && k !== SLICE));

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rb-newhosts-'));
let old: Lab;
let fresh: Lab;
beforeAll(async () => {
  [old, fresh] = await Promise.all([
    labUp({ dir: join(dir, 'old'), members: 3, seedData: true, leases: true, etcdVersion: labEtcdVersion() }),
    labUp({ dir: join(dir, 'new'), members: 3, bare: true, etcdVersion: labEtcdVersion() }),
  ]);
});
afterAll(async () => {
  await Promise.allSettled([labDown(join(dir, 'old')), labDown(join(dir, 'new'))]);
  rmSync(dir, { recursive: true, force: true });
});

describe('restore-multi-master from a backup onto 3 new hosts', () => {
  it('PKI from the backup, certs for the new addresses, every key and value, no stale leases', async () => {
    const to = join(dir, 'backups');
    expectCode(
      await cli([
        'run',
        'backup',
        '-i',
        old.inventoryPath,
        '--set',
        `to=${to}`,
        '--yes',
        '--run-dir',
        join(dir, 'run-backup'),
      ]),
      0,
    );
    const backup = join(to, readdirSync(to)[0]!);
    const want = withoutLeases(snapshotValues(join(backup, 'etcd-cp-1.db')));
    // The operator's inventory for the new machines: their addresses, and where the backed-up members were.
    const inv = parse(readFileSync(fresh.inventoryPath, 'utf8')) as {
      members: Array<Record<string, string>>;
    };
    for (const m of inv.members) m.previousAddress = old.members.find((x) => x.name === m.name)!.address;
    const invPath = join(fresh.dir, 'inventory-restore.yaml');
    writeFileSync(invPath, stringify(inv));
    const r = await cli([
      'run',
      'restore-multi-master',
      '-i',
      invPath,
      '--set',
      `backup=${backup}`,
      '--yes',
      '--run-dir',
      join(dir, 'run-restore'),
    ]);
    expectCode(r, 0);
    // The new hosts now carry the old cluster's CAs: read them with its client certs.
    Object.assign(fresh, { client: old.client, kubeCa: old.kubeCa });
    await expectHealthyCluster(fresh);
    expectSameData(withoutLeases(await clusterValues(fresh)), want);
    const ca = readFileSync(old.client.ca, 'utf8');
    for (const m of fresh.members) {
      expect(await hostRead(fresh, m.name, '/etc/kubernetes/pki/etcd/ca.crt'), `${m.name} etcd CA`).toBe(ca);
      for (const cert of ['server', 'peer']) {
        const s = await labExec(
          fresh,
          m.name,
          `openssl x509 -in /etc/kubernetes/pki/etcd/${cert}.crt -noout -ext subjectAltName`,
        );
        expect(s.stdout, `${m.name} ${cert}.crt`).toContain(`IP Address:${m.address}`);
      }
    }
    const addrs = fresh.members.map((m) => m.address).sort();
    await waitFor(
      async () => {
        const v = await clusterValues(fresh);
        const leases = [...v.keys()].filter((k) => k.startsWith(LEASES)).map((k) => k.slice(LEASES.length));
        const named = (k: string) =>
          [...(v.get(k)?.toString('latin1') ?? '').matchAll(/127\.\d+\.\d+\.\d+/g)].map((x) => x[0]).sort();
        return (
          JSON.stringify([leases.sort(), named(ENDPOINTS), named(SLICE)]) ===
          JSON.stringify([addrs, addrs, addrs])
        );
      },
      {
        timeoutMs: 40_000,
        intervalMs: 500,
        what: 'leases and the kubernetes Endpoints and EndpointSlice naming only the new API servers',
      },
    );
    expectCode(await cli(['diagnose', '-i', invPath]), 0);
  });
});
