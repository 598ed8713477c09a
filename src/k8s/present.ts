// Turning decoded objects into what an operator reads or applies: kubectl-style YAML/JSON, --clean manifests.
import { stringify } from 'yaml';
import { stringifyExact } from './json.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface PresentOptions {
  /** Drop resourceVersion, uid, managedFields, creationTimestamp, status etc.: ready for `kubectl apply`. */
  clean?: boolean;
  /** kubectl hides managedFields unless asked; so do we. */
  showManagedFields?: boolean;
}

const CLEAN_META = [
  'resourceVersion',
  'uid',
  'managedFields',
  'creationTimestamp',
  'selfLink',
  'generation',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

export function present(obj: Obj, opts: PresentOptions = {}): Obj {
  const out: Obj = { ...obj };
  if (isObj(out.metadata)) {
    const md: Obj = { ...out.metadata };
    if (!opts.showManagedFields || opts.clean) delete md.managedFields;
    if (opts.clean) {
      for (const k of CLEAN_META) delete md[k];
      if (isObj(md.annotations)) {
        const a = { ...md.annotations };
        delete a['kubectl.kubernetes.io/last-applied-configuration'];
        if (Object.keys(a).length === 0) delete md.annotations;
        else md.annotations = a;
      }
    }
    out.metadata = md;
  }
  if (opts.clean) delete out.status;
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}

/** YAML as kubectl prints it: keys sorted, sequences not indented, ambiguous scalars quoted (YAML 1.1). */
export function toYaml(v: unknown): string {
  return stringify(sortKeys(v), { version: '1.1', indentSeq: false, lineWidth: 0 });
}

/** JSON as kubectl prints it, int64 values past 2^53 exact. */
export const toJson = (v: unknown): string => stringifyExact(v, 2) + '\n';
