// What a host answers is untrusted input: zod schemas with the inventory's rules for every value that can reach a
// command (versions, paths, users, container ids, member URLs), and the run dir's shared primitives.
import { posix } from 'node:path';
import { z } from 'zod';
import { problems } from '../errors/problems.js';
import { isEtcdURL } from '../inventory/schema.js';
import type { MemberFacts } from './facts.js';

export const re = (r: RegExp, what: string) => z.string().regex(r, what);

export const HEX = re(/^[0-9a-f]{1,16}$/, 'a hex id');
export const SHA256 = re(/^[0-9a-f]{64}$/, 'a sha256 in hex');
/** A version as etcd prints it: 3.5.21, 3.6.0-rc.1. */
export const VERSION = re(
  /^\d{1,4}\.\d{1,4}\.\d{1,4}([-+][A-Za-z0-9.+-]{1,40})?$/,
  'a version such as 3.5.21',
);
/** An absolute, normalised path of plain characters (what `command -v` prints for a real binary). */
export const ABS_PATH = z
  .string()
  .max(4096)
  .refine(
    (p) => /^\/[A-Za-z0-9._+@%=,:/-]*$/.test(p) && posix.normalize(p) === p,
    'an absolute, normalised path of plain characters',
  );
const USER = re(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,31}\$?$/, 'a user name or uid');
const HOSTNAME = re(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/, 'a host name');
const CONTAINER_ID = re(/^[0-9a-f]{6,64}$/, 'a container id (hex)');
const IMAGE = re(
  /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/,
  'an image reference such as registry.k8s.io/etcd:3.5.21-0',
);
const URL_ = z.string().refine(isEtcdURL, 'https://HOST:PORT or http://HOST:PORT');
export const MEMBER_NAME = re(/^[A-Za-z0-9._-]{0,253}$/, 'a member name');
export const count = z.number().int().nonnegative().finite();
const TEXT = z.string().max(4000);

export const StatusSchema = z
  .object({
    memberId: HEX,
    leader: HEX,
    raftIndex: count,
    raftTerm: count,
    revision: count,
    dbSize: count,
    version: z.union([VERSION, z.literal('')]),
    isLearner: z.boolean(),
  })
  .strict();

export const ContainersSchema = z
  .object({
    crictlEtcd: CONTAINER_ID.optional(),
    docker: z.boolean().optional(),
    dockerEtcd: z.boolean().optional(),
    image: IMAGE.optional(),
    etcdctlVersion: VERSION.optional(),
    etcdutlVersion: VERSION.optional(),
  })
  .strict();

export const MemberFactsSchema = z
  .object({
    reachable: z.boolean(),
    error: TEXT.optional(),
    hostname: HOSTNAME.optional(),
    etcdVersion: VERSION.optional(),
    etcdctl: ABS_PATH.optional(),
    etcdctlVersion: VERSION.optional(),
    etcdutl: ABS_PATH.optional(),
    etcdutlVersion: VERSION.optional(),
    containers: ContainersSchema.optional(),
    etcdUser: USER.optional(),
    dataDirExists: z.boolean().optional(),
    etcdUp: z.boolean().optional(),
    healthy: z.boolean().optional(),
    alarmOnly: z.boolean().optional(),
    status: StatusSchema.optional(),
    clusterVersion: re(/^\d{1,4}\.\d{1,4}$/, 'a cluster version such as 3.6').optional(),
    experimentalFlags: z
      .array(re(/^experimental-[a-z0-9-]{1,80}(=[A-Za-z0-9._:/,=-]{0,200})?$/, 'an --experimental-* flag'))
      .max(64)
      .optional(),
    featureGates: re(
      /^[A-Za-z0-9]{1,80}=[A-Za-z0-9]{1,5}(,[A-Za-z0-9]{1,80}=[A-Za-z0-9]{1,5}){0,63}$/,
      'Gate=true,...',
    ).optional(),
    alarms: z
      .array(re(/^memberID:\d{1,20} alarm:[A-Z_]{1,32}$/, 'an etcdctl alarm list line'))
      .max(64)
      .optional(),
    metrics: z.record(re(/^etcd_[a-z_]{1,80}$/, 'an etcd metric name'), z.number().finite()).optional(),
  })
  .strict();

// Compile-time: every field a probe can set is in the schema (else a new fact makes every host "unsafe").
type Unchecked = Exclude<keyof MemberFacts, keyof z.infer<typeof MemberFactsSchema>>;
export const EVERY_FACT_CHECKED: [Unchecked] extends [never] ? true : Unchecked = true;

export const ListedMemberSchema = z
  .object({
    id: HEX,
    name: MEMBER_NAME,
    peerURLs: z.array(URL_).max(16),
    clientURLs: z.array(URL_).max(16),
    isLearner: z.boolean(),
  })
  .strict();

/** A certificate as the probe read it (etcd/certcheck.ts CertInfo); only shown and compared, never run. */
const CertSchema = z
  .object({
    member: MEMBER_NAME,
    file: TEXT,
    role: z.enum(['server', 'peer', 'client']),
    notAfter: z.string().datetime(),
    daysLeft: z.number().int(),
    sans: z.array(TEXT).max(256),
    notBefore: z.string().datetime().optional(),
    missingAddress: z.boolean().optional(),
  })
  .strict();

export const FactsSchema = z
  .object({
    probed: z.boolean(),
    collectedAt: z.string().datetime().optional(),
    members: z.record(MEMBER_NAME, MemberFactsSchema),
    memberList: z.array(ListedMemberSchema).max(64).optional(),
    certificates: z.array(CertSchema).max(1024).optional(),
  })
  .strict();

/** What a host answered, checked before it reaches a script or a file: undefined when every value is safe. */
export function hostFactsProblems(facts: unknown, members: unknown): string | undefined {
  const a = MemberFactsSchema.safeParse(facts);
  const b = members === undefined ? undefined : z.array(ListedMemberSchema).max(64).safeParse(members);
  const out = [
    ...(a.success ? [] : [problems(a.error)]),
    ...(b && !b.success ? [`member list: ${problems(b.error)}`] : []),
  ];
  return out.length ? out.join('; ') : undefined;
}
