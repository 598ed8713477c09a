// Picks the adapter for an inventory's topology.
import { badInput } from '../errors/error.js';
import type { Topology } from '../inventory/schema.js';
import type { Platform } from './types.js';
import { staticPod } from './static-pod.js';
import { systemd } from './systemd.js';
import { docker } from './docker.js';
import { k3sExternal } from './k3s.js';

const ADAPTERS: Partial<Record<Topology, Platform>> = {
  'static-pod': staticPod,
  systemd,
  docker,
  'k3s-external': k3sExternal,
};

export function platformFor(t: Topology): Platform {
  const p = ADAPTERS[t];
  if (!p)
    throw badInput(
      `topology '${t}' has no adapter yet`,
      'use a static-pod, systemd, docker or k3s-external inventory',
    );
  return p;
}
