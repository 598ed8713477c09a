// The registry: every message table (generated from upstream, see scripts/gen-k8s-schema.mjs) and the kinds.
import { parseMessage, type Message, type MessageTable } from './types.js';
import { GENERATED, GENERATED_KINDS } from './generated/index.js';
import { NEWER } from './newer.js';

const TABLE: MessageTable = { ...GENERATED, ...NEWER };
const compiled = new Map<string, Message>();

export function message(name: string): Message {
  let m = compiled.get(name);
  if (m) return m;
  const spec = TABLE[name];
  if (spec === undefined) throw new Error(`schema: no message ${name}`);
  m = parseMessage(name, spec);
  compiled.set(name, m);
  return m;
}

export const messageNames = (): string[] => Object.keys(TABLE);

export interface KindInfo {
  apiVersion: string;
  kind: string;
  message: string;
  /** Path segment(s) after /registry/ where kube-apiserver stores this resource. */
  resource: string;
  namespaced: boolean;
}

/** Every top-level kind of every API version the generated table knows (stable versions first per kind). */
export const KINDS: KindInfo[] = GENERATED_KINDS.map(([apiVersion, kind, message, resource, namespaced]) => ({
  apiVersion,
  kind,
  message,
  resource,
  namespaced,
})).sort((a, b) => maturity(a.apiVersion) - maturity(b.apiVersion));

function maturity(apiVersion: string): number {
  return /alpha\d*$/.test(apiVersion) ? 2 : /beta\d*$/.test(apiVersion) ? 1 : 0;
}

const byVersionKind = new Map(KINDS.map((x) => [`${x.apiVersion} ${x.kind}`, x]));

export function kindFor(apiVersion: string, kind: string): KindInfo | undefined {
  return byVersionKind.get(`${apiVersion} ${kind}`);
}

/** Case-insensitive lookup by kind, plural resource or short resource name (for --kind). */
export function kindByName(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return KINDS.find(
    (x) => x.kind.toLowerCase() === n || x.resource.split('/').pop() === n || x.resource === n,
  );
}
