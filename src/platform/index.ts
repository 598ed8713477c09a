// Picks the adapter for an inventory's topology.
import { badInput } from '../core/errors.js';
import type { Topology } from '../inventory/schema.js';
import type { Platform } from './types.js';
import { staticPod } from './static-pod.js';
import { systemd } from './systemd.js';

const ADAPTERS: Partial<Record<Topology, Platform>> = { 'static-pod': staticPod, systemd };

export function platformFor(t: Topology): Platform {
  const p = ADAPTERS[t];
  if (!p) throw badInput(`topology '${t}' has no adapter yet`, 'use static-pod or systemd inventories for now');
  return p;
}
