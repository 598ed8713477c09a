// The API server's lease endpoint reconciler (--endpoint-reconciler-type=lease), as kube-apiserver runs it: its own
// address under /registry/masterleases/ with a TTL'd etcd lease, and the `kubernetes` Endpoints in default naming
// every address that holds a lease, and the EndpointSlice of the same name. Objects are stored as
// kube-apiserver stores them (protobuf, k8s envelope).
import { encodeStoredObject } from '../../k8s/encode.js';
import { EtcdClient, prefixEnd } from '../grpc.js';

export const LEASE_PREFIX = '/registry/masterleases/';
export const ENDPOINTS_KEY = '/registry/services/endpoints/default/kubernetes';
export const SLICE_KEY = '/registry/endpointslices/default/kubernetes';
/** kube-apiserver's DefaultEndpointReconcilerTTL. */
export const LEASE_TTL = 15;

const endpoints = (name: string, ips: string[], namespace?: string) =>
  Buffer.from(
    encodeStoredObject({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        ...(namespace ? { namespace, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } : {}),
      },
      subsets: [
        {
          addresses: ips.map((ip) => ({ ip })),
          ...(namespace ? { ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] } : {}),
        },
      ],
    }),
  );

/** The EndpointSlice kube-apiserver's endpoints adapter writes beside the Endpoints (same name, same addresses). */
const slice = (ips: string[]) =>
  Buffer.from(
    encodeStoredObject({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    }),
  );

/** One reconcile: renew this server's lease (a new TTL'd lease each time), then the Endpoints from the live leases. */
export async function reconcileLeases(c: EtcdClient, address: string): Promise<string[]> {
  const lease = await c.leaseGrant(LEASE_TTL);
  await c.put(`${LEASE_PREFIX}${address}`, endpoints(address, [address]), 5000, lease);
  const r = await c.range(LEASE_PREFIX, prefixEnd(LEASE_PREFIX), { keysOnly: true });
  const ips = r.kvs.map((kv) => kv.key.toString().slice(LEASE_PREFIX.length)).sort();
  const want = endpoints('kubernetes', ips, 'default');
  const now = await c.range(ENDPOINTS_KEY, null);
  if (!now.kvs[0]?.value.equals(want)) await c.put(ENDPOINTS_KEY, want);
  const wantSlice = slice(ips);
  const nowSlice = await c.range(SLICE_KEY, null);
  if (!nowSlice.kvs[0]?.value.equals(wantSlice)) await c.put(SLICE_KEY, wantSlice);
  return ips;
}
