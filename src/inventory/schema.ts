// The inventory: one cluster, its members and how to reach them. zod is the single source of its shape.
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { z } from 'zod';
import { BackupConfigSchema } from './backup.js';

export const TOPOLOGIES = ['static-pod', 'systemd', 'docker', 'k3s-external'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

// Values here end up in commands run as root on every member: each is parsed strictly, never just "a string".
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const isHost = (h: string) => isIP(h) !== 0 || (DNS_NAME.test(h) && !/^[\d.]+$/.test(h));

/** An IP address or DNS name, without a port (the SSH port has its own field). */
const HostSchema = z.string().refine(isHost, 'an IP address or DNS name, without a port');

/** scheme://host:port and nothing else: no path, query, user info or fragment. */
export function isEtcdURL(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return (
    (u.protocol === 'https:' || u.protocol === 'http:') &&
    u.port !== '' &&
    isHost(host) &&
    text === `${u.protocol}//${u.host}`
  );
}
const UrlSchema = z
  .string()
  .refine(
    isEtcdURL,
    'https://HOST:PORT or http://HOST:PORT (an IP or DNS name; no path, query or user info)',
  );

/** An absolute, normalised path of plain characters: no `..`, `//`, trailing slash or control characters. */
const PathSchema = z
  .string()
  .refine(
    (p) =>
      p.startsWith('/') &&
      posix.normalize(p) === p &&
      (p === '/' || !p.endsWith('/')) &&
      !/[\0-\x1f\x7f]/.test(p),
    'an absolute, normalised path (no .., //, trailing slash or control characters)',
  );

export const SshSchema = z
  .object({
    user: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    identityFile: z.string().min(1).optional(),
    knownHosts: z.string().min(1).optional(),
    /** `user@host[:port]` of a jump host (ProxyJump). */
    jump: z
      .string()
      .regex(/^([^@\s]+@)?[A-Za-z0-9._-]+(:\d{1,5})?$/, 'expected user@host[:port]')
      .optional(),
    /** Run commands through `sudo -n` (non-root user with passwordless sudo). */
    sudo: z.boolean().optional(),
  })
  .strict();
export type Ssh = z.infer<typeof SshSchema>;

export const TlsSchema = z
  .object({
    ca: PathSchema,
    cert: PathSchema,
    key: PathSchema,
  })
  .strict();

/** How to run etcd's tools on a host: `auto` detects; otherwise a command prefix such as `crictl exec -i ID`. */
export const ToolsSchema = z
  .object({
    etcdctl: z.string().min(1).optional(),
    etcdutl: z.string().min(1).optional(),
  })
  .strict();

export const EtcdSchema = z
  .object({
    dataDir: PathSchema.optional(),
    /** static-pod: the etcd static pod manifest. */
    manifest: PathSchema.optional(),
    /** static-pod: the API server manifest (its --etcd-servers is repointed). */
    apiserverManifest: PathSchema.optional(),
    /** systemd: the EnvironmentFile with ETCD_* variables. */
    config: PathSchema.optional(),
    /** Client TLS used by etcdctl on the host. */
    tls: TlsSchema.optional(),
    tools: ToolsSchema.optional(),
    backupDir: PathSchema.optional(),
  })
  .strict();
export type Etcd = z.infer<typeof EtcdSchema>;

/** A systemd unit name, e.g. kubelet or kubelet.service (a word: no spaces, quotes or shell characters). */
const UNIT = /^[A-Za-z0-9][A-Za-z0-9@._:-]*$/;

/**
 * How to restart the kubelet on a host, so its watch caches relist after a restore: a systemd unit
 * (`systemctl restart UNIT`) or a command as its argv words (each quoted; no shell).
 */
export const KubeletSchema = z
  .object({
    restartUnit: z.string().regex(UNIT, 'a systemd unit name such as kubelet or kubelet.service').optional(),
    restartCommand: z
      .array(
        z
          .string()
          .min(1)
          .refine((w) => !/[\0-\x1f\x7f]/.test(w), 'no control characters'),
      )
      .min(1)
      .optional(),
  })
  .strict()
  .refine((k) => !(k.restartUnit && k.restartCommand), 'restartUnit or restartCommand, not both');
export type Kubelet = z.infer<typeof KubeletSchema>;

export const MemberSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'lowercase letters, digits, dots and dashes'),
    address: HostSchema,
    /** The address the cluster still knows this member by, when it moved (the readdress runbook). */
    previousAddress: HostSchema.optional(),
    peerURL: UrlSchema.optional(),
    clientURL: UrlSchema.optional(),
    ssh: SshSchema.optional(),
    etcd: EtcdSchema.optional(),
    /** Replaces the inventory's kubelet settings for this member. */
    kubelet: KubeletSchema.optional(),
  })
  .strict();

export const InventorySchema = z
  .object({
    apiVersion: z.literal('lifeboat/v1'),
    cluster: z.string().min(1),
    topology: z.enum(TOPOLOGIES),
    ssh: SshSchema.optional(),
    etcd: EtcdSchema.optional(),
    members: z.array(MemberSchema).min(1),
    kubelet: KubeletSchema.optional(),
    backup: BackupConfigSchema.optional(),
  })
  .strict()
  .superRefine((inv, ctx) => {
    // Two members with one name, address or URL would make every per-member step act on the wrong host.
    const unique = (
      field: 'name' | 'address' | 'peerURL' | 'clientURL',
      of: (m: (typeof inv.members)[number]) => string,
    ) => {
      const seen = new Map<string, number>();
      inv.members.forEach((m, i) => {
        const v = of(m);
        const prev = seen.get(v);
        if (prev !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['members', i, field],
            message: `duplicate ${field === 'name' ? 'member name' : field} '${v}' (also members[${prev}])`,
          });
        seen.set(v, i);
      });
    };
    unique('name', (m) => m.name);
    unique('address', (m) => m.address);
    unique('peerURL', (m) => m.peerURL ?? `https://${m.address}:2380`);
    unique('clientURL', (m) => m.clientURL ?? `https://${m.address}:2379`);
  });

export type InventoryInput = z.infer<typeof InventorySchema>;
