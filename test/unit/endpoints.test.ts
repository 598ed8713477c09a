// Endpoints and EndpointSlices naming old addresses: the kubernetes ones (any non-member address, stacked API servers)
// and others (a moved member's previousAddress or a stale lease's address), each with what rebuilds it.
import { describe, expect, it } from 'vitest';
import { addressesOf, findStale } from '../../src/etcd/endpoints.js';
import { parseInventory } from '../../src/inventory/load.js';
import { encodeStoredObject } from '../../src/k8s/encode.js';

const inv = (() => {
  const r = parseInventory(
    'apiVersion: lifeboat/v1\ncluster: c\ntopology: static-pod\nmembers:\n  - {name: a, address: 10.0.0.1}\n  - {name: b, address: 10.0.1.2, previousAddress: 10.0.0.2}\n  - {name: c, address: 10.0.0.3}\n',
    '/tmp/i.yaml',
  );
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.inventory;
})();

const slice = (ns: string, name: string, ips: string[]) => ({
  key: `/registry/endpointslices/${ns}/${name}`,
  value: Buffer.from(
    encodeStoredObject({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: ns },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    }),
  ),
});
const endpoints = (ns: string, name: string, ips: string[]) => ({
  key: `/registry/services/endpoints/${ns}/${name}`,
  value: Buffer.from(
    encodeStoredObject({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns },
      subsets: [{ addresses: ips.map((ip) => ({ ip })) }],
    }),
  ),
});

describe('stale endpoints', () => {
  it('reads the addresses of Endpoints and EndpointSlices', () => {
    expect(
      addressesOf({ subsets: [{ addresses: [{ ip: '1.1.1.1' }], notReadyAddresses: [{ ip: '2.2.2.2' }] }] }),
    ).toEqual(['1.1.1.1', '2.2.2.2']);
    expect(addressesOf({ endpoints: [{ addresses: ['3.3.3.3'] }] })).toEqual(['3.3.3.3']);
  });

  it('kubernetes: any non-member address; others: only old addresses (previousAddress, stale leases)', () => {
    const got = findStale(
      inv,
      [
        endpoints('default', 'kubernetes', ['10.0.0.1', '10.0.0.2', '10.0.0.9']),
        slice('default', 'kubernetes', ['10.0.0.1', '10.0.1.2']),
        slice('kube-system', 'kube-etcd-metrics-x7k2p', ['10.0.0.1', '10.0.0.2', '10.0.0.3']),
        endpoints('kube-system', 'old-lease-host', ['10.0.0.7']),
        slice('team-a', 'web-abcde', ['10.244.1.5', '10.244.2.6']),
      ],
      ['10.0.0.1', '10.0.0.7'],
    );
    expect(got.map((g) => [g.key, g.stale])).toEqual([
      ['/registry/services/endpoints/default/kubernetes', ['10.0.0.2', '10.0.0.9']],
      ['/registry/endpointslices/kube-system/kube-etcd-metrics-x7k2p', ['10.0.0.2']],
      ['/registry/services/endpoints/kube-system/old-lease-host', ['10.0.0.7']],
    ]);
    expect(got[0]!.fix).toMatch(/live API servers rebuild it from \/registry\/masterleases\//);
    expect(got[1]!.fix).toContain('kubectl -n kube-system delete endpointslice kube-etcd-metrics-x7k2p');
    expect(got[2]!.fix).toContain('kubectl -n kube-system delete endpoints old-lease-host');
  });
});
