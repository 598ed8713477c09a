// The inventory: one cluster, its members and how to reach them. zod is the single source of its shape.
import { z } from 'zod';
import { BackupConfigSchema } from '../backup/config.js';

export const TOPOLOGIES = ['static-pod', 'systemd', 'docker', 'k3s-external'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

const hostPort = /^[A-Za-z0-9._-]+(:\d{1,5})?$/;

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
    ca: z.string().min(1),
    cert: z.string().min(1),
    key: z.string().min(1),
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
    dataDir: z.string().startsWith('/').optional(),
    /** static-pod: the etcd static pod manifest. */
    manifest: z.string().startsWith('/').optional(),
    /** static-pod: the API server manifest (its --etcd-servers is repointed). */
    apiserverManifest: z.string().startsWith('/').optional(),
    /** systemd: the EnvironmentFile with ETCD_* variables. */
    config: z.string().startsWith('/').optional(),
    /** Client TLS used by etcdctl on the host. */
    tls: TlsSchema.optional(),
    tools: ToolsSchema.optional(),
    backupDir: z.string().startsWith('/').optional(),
  })
  .strict();
export type Etcd = z.infer<typeof EtcdSchema>;

export const MemberSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'lowercase letters, digits, dots and dashes'),
    address: z.string().regex(hostPort, 'an IP address or host name'),
    /** The address the cluster still knows this member by, when it moved (the readdress runbook). */
    previousAddress: z.string().regex(hostPort, 'an IP address or host name').optional(),
    peerURL: z.url().optional(),
    clientURL: z.url().optional(),
    ssh: SshSchema.optional(),
    etcd: EtcdSchema.optional(),
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
    backup: BackupConfigSchema.optional(),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Map<string, number>();
    inv.members.forEach((m, i) => {
      const prev = seen.get(m.name);
      if (prev !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['members', i, 'name'],
          message: `duplicate member name '${m.name}' (also members[${prev}])`,
        });
      seen.set(m.name, i);
    });
  });

export type InventoryInput = z.infer<typeof InventorySchema>;
