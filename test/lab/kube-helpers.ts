// What Kubernetes sees, for lab tests with the real control plane: the seeded objects through kubectl, a watch client
// that relists as an informer does, and the leases and `kubernetes` EndpointSlice of the live API servers.
import { request, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mustKubectl, SEED_LABEL, SEEDED_KINDS, waitFor, type Lab } from '../../src/lab/index.js';

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    managedFields?: unknown;
    [k: string]: unknown;
  };
  status?: unknown;
  [k: string]: unknown;
}
interface KubeList {
  metadata: { resourceVersion: string };
  items: KubeObject[];
}

/**
 * What a restore must bring back of an object: everything but the fields the server and controllers keep moving
 * (and apiVersion/kind, which a list's items lack and kubectl and watch events carry).
 */
function essence(o: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
  const { status: _st, apiVersion: _av, kind: _kind, ...rest } = o;
  return JSON.stringify(sortedKeys({ ...rest, metadata }));
}

/** Keys in order at every level: kubectl prints them sorted, the API server in its types' field order. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((key) => [key, sortedKeys(obj[key])]),
  );
}

export interface SeededView {
  /** KIND/NAMESPACE/NAME -> the object's essence. */
  objects: Map<string, string>;
  /** Highest list resourceVersion seen while reading. */
  maxResourceVersion: bigint;
  kinds: number;
}

/** `kubectl get KIND -A -l SEED_LABEL=true -o json` of every seeded kind. */
export async function seededView(lab: Lab): Promise<SeededView> {
  const objects = new Map<string, string>();
  let maxResourceVersion = 0n;
  for (const kind of SEEDED_KINDS) {
    const list = JSON.parse(
      await mustKubectl(lab, ['get', kind, '-A', '-l', `${SEED_LABEL}=true`, '-o', 'json']),
    ) as KubeList;
    const rv = BigInt(list.metadata.resourceVersion || '0');
    if (rv > maxResourceVersion) maxResourceVersion = rv;
    for (const o of list.items) {
      const r = BigInt(o.metadata.resourceVersion ?? '0');
      if (r > maxResourceVersion) maxResourceVersion = r;
      objects.set(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, essence(o));
    }
  }
  return { objects, maxResourceVersion, kinds: SEEDED_KINDS.length };
}

/** Same keys and same essence for each; the first few differences named. */
export function expectSameView(got: Map<string, string>, want: Map<string, string>): void {
  const missing = [...want.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  const changed = [...want.keys()].filter((k) => got.has(k) && got.get(k) !== want.get(k));
  expect({ missing, extra, changed: changed.slice(0, 5) }).toEqual({ missing: [], extra: [], changed: [] });
}

/** The cluster-admin TLS client of DIR/admin.conf and the address of each API server. */
function adminTls(lab: Lab): Pick<RequestOptions, 'ca' | 'cert' | 'key'> {
  const conf = parseYaml(readFileSync(lab.kube!.adminConf, 'utf8')) as {
    clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  };
  const d = (s: string) => Buffer.from(s, 'base64');
  return {
    ca: d(conf.clusters[0]!.cluster['certificate-authority-data']),
    cert: d(conf.users[0]!.user['client-certificate-data']),
    key: d(conf.users[0]!.user['client-key-data']),
  };
}

class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * A reflector as client-go runs it under every informer: list, then watch from the list's resourceVersion; after a
 * dropped connection watch again from the last resourceVersion seen; on 410 Gone (a compacted revision) relist. Its
 * view is what a controller's cache would hold.
 */
export class WatchClient {
  readonly view = new Map<string, string>();
  gone = 0;
  lists = 0;
  private rv = '';
  private stopped = false;
  private current: { destroy: () => void } | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly lab: Lab,
    private readonly path: string,
  ) {
    this.done = this.loop();
  }

  private get(path: string, onLine?: (line: string) => void): Promise<string> {
    const tls = adminTls(this.lab);
    // Any API server of the lab: during a restore every one is down for a while, and a client waits for one.
    const m = this.lab.members[(this.lists + this.gone) % this.lab.members.length]!;
    return new Promise((resolve, reject) => {
      const req = request({ host: m.address, port: 6443, path, ...tls, timeout: 330_000 }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new HttpStatus(res.statusCode ?? 0));
          return;
        }
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (!onLine) return;
          let nl: number;
          while ((nl = body.indexOf('\n')) >= 0) {
            const line = body.slice(0, nl);
            body = body.slice(nl + 1);
            if (!line.trim()) continue;
            try {
              onLine(line);
            } catch (err) {
              req.destroy();
              reject(err as Error);
              return;
            }
          }
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      this.current = req;
      req.end();
    });
  }

  private key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

  private async list(): Promise<void> {
    const l = JSON.parse(await this.get(this.path)) as KubeList;
    this.view.clear();
    for (const o of l.items) this.view.set(this.key(o), essence(o));
    this.rv = l.metadata.resourceVersion;
    this.lists++;
  }

  private async watch(): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?';
    await this.get(`${this.path}${sep}watch=1&resourceVersion=${this.rv}&timeoutSeconds=300`, (line) => {
      const ev = JSON.parse(line) as { type: string; object: KubeObject & { code?: number } };
      if (ev.type === 'ERROR') {
        if (ev.object.code === 410) throw new HttpStatus(410);
        return;
      }
      if (ev.type === 'DELETED') this.view.delete(this.key(ev.object));
      else this.view.set(this.key(ev.object), essence(ev.object));
      this.rv = ev.object.metadata.resourceVersion ?? this.rv;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.rv) await this.list();
        await this.watch();
      } catch (err) {
        if (err instanceof HttpStatus && err.status === 410) {
          this.gone++;
          this.rv = '';
        }
        // Back-off before the next try, as a reflector does; not a synchronisation.
        if (!this.stopped) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.destroy();
    await this.done;
  }
}

interface Lease {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { holderIdentity?: string; renewTime?: string };
}

/**
 * The control plane found itself again: controller-manager and scheduler hold their leader leases (renewed after
 * `since`, by a host of the lab); one fresh kube-apiserver identity lease per member; the `kubernetes` EndpointSlice
 * lists exactly the members' addresses.
 */
export async function expectControlPlaneSettled(lab: Lab, since: Date): Promise<void> {
  const hosts = lab.members.map((m) => m.name);
  const addresses = lab.members.map((m) => m.address).sort();
  const fresh = (l: Lease) => l.spec.renewTime !== undefined && new Date(l.spec.renewTime) > since;
  await waitFor(
    async () => {
      const leases = (
        JSON.parse(await mustKubectl(lab, ['get', 'leases', '-n', 'kube-system', '-o', 'json'])) as {
          items: Lease[];
        }
      ).items;
      for (const c of ['kube-controller-manager', 'kube-scheduler']) {
        const l = leases.find((x) => x.metadata.name === c);
        const holder = l?.spec.holderIdentity?.split('_')[0] ?? '';
        if (!l || !fresh(l) || !hosts.includes(holder))
          throw new Error(`${c} lease: ${JSON.stringify(l?.spec)}`);
      }
      const apis = leases.filter(
        (l) => l.metadata.labels?.['apiserver.kubernetes.io/identity'] === 'kube-apiserver',
      );
      if (apis.filter(fresh).length !== hosts.length)
        throw new Error(
          `API server leases: ${apis.map((l) => `${l.metadata.name}@${l.spec.renewTime}`).join(', ')}`,
        );
      const slice = JSON.parse(
        await mustKubectl(lab, [
          'get',
          'endpointslices.discovery.k8s.io',
          '-n',
          'default',
          'kubernetes',
          '-o',
          'json',
        ]),
      ) as { endpoints?: Array<{ addresses: string[] }> };
      const listed = (slice.endpoints ?? []).flatMap((e) => e.addresses).sort();
      if (JSON.stringify(listed) !== JSON.stringify(addresses))
        throw new Error(`kubernetes EndpointSlice lists ${listed.join(',')}, members ${addresses.join(',')}`);
      return true;
    },
    {
      timeoutMs: 180_000,
      intervalMs: 1000,
      what: 'leader leases, API server leases and the kubernetes EndpointSlice',
    },
  );
}
