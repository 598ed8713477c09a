// lab up --leases --seed-data: a control-plane hostNetwork Service's Endpoints and EndpointSlice naming every member's
// address (as kube-prometheus-stack's kube-etcd Service has), which nothing in the lab keeps up to date: after a
// `lab readdress` they name the old address, as they do on a cluster whose controller-manager has not caught up.
import { encodeStoredObject } from '../k8s/encode.js';
import { EtcdClient } from './grpc.js';
import type { Lab } from './types.js';

export const METRICS_SERVICE = 'kube-etcd-metrics';
export const METRICS_ENDPOINTS = `/registry/services/endpoints/kube-system/${METRICS_SERVICE}`;
/** The endpointslice controller names a slice after its Service plus a random suffix. */
export const METRICS_SLICE = `/registry/endpointslices/kube-system/${METRICS_SERVICE}-x7k2p`;

export async function seedControlPlaneEndpoints(lab: Lab): Promise<void> {
  const ips = lab.members.map((m) => m.address);
  const port = { name: 'http-metrics', port: 2381, protocol: 'TCP' };
  const labels = { 'k8s-app': METRICS_SERVICE };
  const endpoints = encodeStoredObject({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: METRICS_SERVICE, namespace: 'kube-system', labels },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }],
  });
  const slice = encodeStoredObject({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${METRICS_SERVICE}-x7k2p`,
      namespace: 'kube-system',
      labels: {
        ...labels,
        'kubernetes.io/service-name': METRICS_SERVICE,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [port],
  });
  const c = new EtcdClient(lab.members[0]!.clientURL, lab.client);
  try {
    await c.put(METRICS_ENDPOINTS, Buffer.from(endpoints), 10_000);
    await c.put(METRICS_SLICE, Buffer.from(slice), 10_000);
  } finally {
    c.close();
  }
}
