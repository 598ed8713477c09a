// A Kubernetes CronJob that snapshots every member on the control-plane nodes, with retention and checks; optionally
// uploads each run off the node to an object store (age-encrypted when asked) as a Lifeboat backup, manifest last.
import { stringify } from 'yaml';
import type { Inventory } from '../inventory/resolve.js';
import { safeComponent } from '../local/private.js';
import { sh, type Literal, type Script } from '../shell/sh.js';
import { MANIFEST } from './backups.js';
import { parseRecipient, recipientLabel } from './age.js';
import { parseS3Url } from './url.js';

/** Off the node: the object store, the Secret holding its credentials, the image that uploads, the recipients. */
export interface CronJobOffsite {
  to: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  pathStyle?: boolean | undefined;
  /** Name of a Secret with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and optionally AWS_SESSION_TOKEN). */
  secret: string;
  /** An image with sh, rclone, sha256sum and (when encrypting) age. */
  image: string;
  recipients: string[];
}

export interface CronJobOptions {
  schedule: string;
  image: string;
  namespace: string;
  hostBackupDir: string;
  retentionDays: number;
  offsite?: CronJobOffsite | undefined;
}

/** The containers' mount points, given to the scripts as env (so a test can run them with its own folders). */
export const BACKUP_MOUNT = '/backup';
export const STAGING_MOUNT = '/staging';
const SECRET_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

const snapName = (m: { name: string }) => sh`etcd-${safeComponent(m.name)}-"$stamp".db`;

/** Runs on the node in the etcd image: a snapshot of each member, checked; one good one is enough. */
export function snapshotScript(inv: Inventory, o: CronJobOptions): Script {
  return sh.lines(
    sh`set -eu`,
    // etcd 3.6 removed etcdctl snapshot status: etcdutl's (in every image since 3.5), etcdctl's only before that.
    sh.join(
      [
        sh`snapshot_status() { if command -v etcdutl >/dev/null 2>&1`,
        sh`then etcdutl snapshot status "$@"`,
        sh`else etcdctl snapshot status "$@"; fi; }`,
      ],
      '; ',
    ),
    sh`stamp=$(date -u +%Y%m%dT%H%M%SZ)`,
    sh`ok=0`,
    ...inv.members.map((m) => {
      const file = sh`"$BACKUP_DIR"/etcd-${m.name}-"$stamp".db`;
      // With an upload, the status (revision, keys) goes to the upload container as JSON beside the stamp.
      const status = o.offsite
        ? sh`snapshot_status -w json ${file} > "$STAGING_DIR"/${snapName(m)}.status`
        : sh`snapshot_status -w table ${file}`;
      return sh.join(
        [
          sh`if etcdctl --endpoints=${m.clientURL} snapshot save ${file}; then chmod 600 ${file}`,
          sh`${status} && ok=1; fi`,
        ],
        '; ',
      );
    }),
    sh`find "$BACKUP_DIR" -maxdepth 1 -name 'etcd-*.db' -mtime +${o.retentionDays} -print -delete`,
    o.offsite ? sh`echo "$stamp" > "$STAGING_DIR"/stamp` : null,
    sh`[ "$ok" = 1 ]`,
  );
}

/** One file to the store: sha256 of the plain file, age-encrypted when asked, uploaded, read back and compared. */
function uploadFunction(off: CronJobOffsite): Script {
  const enc = off.recipients.length > 0;
  const rcp = off.recipients.flatMap((r) => ['-r', r.trim()]);
  return sh.lines(
    sh`up() {`,
    sh`  src=$1; name=$2; put=$src; obj=$name`,
    sh`  plain=$(sha256sum "$src" | cut -d ' ' -f 1); pbytes=$(wc -c < "$src" | tr -d ' ')`,
    enc && sh`  put="$STAGING_DIR/$name.age"; obj="$name.age"; age ${rcp} -o "$put" "$src"`,
    sh`  sum=$(sha256sum "$put" | cut -d ' ' -f 1); sbytes=$(wc -c < "$put" | tr -d ' ')`,
    sh`  rc copyto -M --metadata-set lifeboat-sha256="$plain" "$put" "$dest/$obj"`,
    sh`  back=$(rc cat "$dest/$obj" | sha256sum | cut -d ' ' -f 1)`,
    sh.join(
      [
        sh`  if [ "$back" != "$sum" ]`,
        sh`then echo "lifeboat: $url/$obj: the stored copy does not match what was sent" >&2; exit 1`,
        sh`fi`,
      ],
      '; ',
    ),
    sh`  files="$files\${files:+,}{\\"name\\":\\"$name\\",\\"sha256\\":\\"$plain\\",\\"bytes\\":$pbytes,\\"storedSha256\\":\\"$sum\\",\\"storedBytes\\":$sbytes$rj}"`,
    sh`}`,
  );
}

/** Runs after the snapshots in the upload image: every fresh snapshot to the store, then the manifest (last). */
export function uploadScript(inv: Inventory, off: CronJobOffsite): Script {
  const { bucket, prefix } = parseS3Url(off.to);
  const enc = off.recipients.length > 0;
  const provider = off.endpoint
    ? sh`--s3-provider Other --s3-endpoint ${off.endpoint}`
    : sh`--s3-provider AWS`;
  const pathStyle = off.pathStyle ?? Boolean(off.endpoint);
  const field = <K extends string, V extends string>(k: Literal<K>, v: Literal<V>) =>
    sh`\\"${sh.raw(k)}\\":${sh.raw(v)}`;
  return sh.lines(
    sh`set -eu`,
    sh`stamp=$(cat "$STAGING_DIR"/stamp)`,
    sh`id=${safeComponent(inv.cluster)}-"$stamp"`,
    sh`dest=:s3:${[bucket, prefix].filter(Boolean).join('/')}/"$id"; url=${off.to.replace(/\/+$/, '')}/"$id"`,
    // Credentials only from the env (the Secret): --s3-env-auth; no config file, no bucket creation.
    sh.join(
      [
        sh`rc() { rclone --config /dev/null ${provider} --s3-env-auth --s3-region`,
        sh`${off.region ?? 'us-east-1'} --s3-force-path-style=${String(pathStyle)} --s3-no-check-bucket`,
        sh`"$@"; }`,
      ],
      ' ',
    ),
    sh.join(
      [
        sh`cj=${JSON.stringify(inv.cluster)}`,
        sh`rj=${enc ? `,"recipients":${JSON.stringify(off.recipients.map(recipientLabel))}` : ''}`,
      ],
      '; ',
    ),
    sh`files=; members=`,
    uploadFunction(off),
    ...inv.members.map((m) =>
      sh.lines(
        sh.join(
          [
            sh`f="$BACKUP_DIR"/etcd-${m.name}-"$stamp".db; st="$STAGING_DIR"/${snapName(m)}.status`,
            sh`mj=${JSON.stringify(m.name)}`,
          ],
          '; ',
        ),
        sh`if [ -s "$f" ] && [ -s "$st" ]; then`,
        sh`  up "$f" ${snapName(m)}`,
        sh.join(
          [
            sh`  rev=$(sed -n 's/.*"revision":\\([0-9]*\\).*/\\1/p' "$st")`,
            sh`keys=$(sed -n 's/.*"totalKey":\\([0-9]*\\).*/\\1/p' "$st")`,
          ],
          '; ',
        ),
        sh`  members="$members\${members:+,}{\\"member\\":$mj,\\"file\\":\\"${snapName(m)}\\",\\"revision\\":\${rev:-null},\\"totalKey\\":\${keys:-null}}"`,
        sh`fi`,
      ),
    ),
    sh`if [ -z "$members" ]; then echo "lifeboat: no snapshot of this run to upload" >&2; exit 1; fi`,
    sh.join(
      [
        sh`taken=$(echo "$stamp"`,
        sh`sed 's/^\\(....\\)\\(..\\)\\(..\\)T\\(..\\)\\(..\\)\\(..\\)Z$/\\1-\\2-\\3T\\4:\\5:\\6Z/')`,
      ],
      ' | ',
    ),
    sh`printf '%s\\n' "{${sh.join(
      [
        field('format', '\\"lifeboat-backup/1\\"'),
        field('id', '\\"$id\\"'),
        field('cluster', '$cj'),
        field('takenAt', '\\"$taken\\"'),
        field('scheduled', 'true'),
        field('encrypted', enc ? 'true' : 'false'),
        field('verified', 'true'),
        field('members', '[$members]'),
        field('files', '[$files]'),
      ],
      ',',
    )}}" > "$STAGING_DIR"/${MANIFEST}`,
    // The manifest goes last: until it is there, the files are not a backup.
    sh`rc copyto "$STAGING_DIR"/${MANIFEST} "$dest"/${MANIFEST}`,
    sh`echo "lifeboat: backup $id uploaded to $url"`,
  );
}

/** Checks what the CronJob would upload with before it is emitted: the target's form and every recipient. */
export function checkOffsite(off: CronJobOffsite): void {
  parseS3Url(off.to);
  for (const r of off.recipients) parseRecipient(r);
}

const envOf = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

function uploadContainer(inv: Inventory, off: CronJobOffsite) {
  return {
    name: 'upload',
    image: off.image,
    imagePullPolicy: 'IfNotPresent',
    env: [
      ...envOf({ BACKUP_DIR: BACKUP_MOUNT, STAGING_DIR: STAGING_MOUNT }),
      // By reference only: the values stay in the Secret, never in this manifest.
      ...SECRET_KEYS.map((k) => ({
        name: k,
        valueFrom: {
          secretKeyRef: {
            name: off.secret,
            key: k,
            ...(k === 'AWS_SESSION_TOKEN' ? { optional: true } : {}),
          },
        },
      })),
    ],
    command: ['/bin/sh', '-c', uploadScript(inv, off).text],
    volumeMounts: [
      { name: 'backup', mountPath: BACKUP_MOUNT, readOnly: true },
      { name: 'staging', mountPath: STAGING_MOUNT },
    ],
  };
}

function podSpec(inv: Inventory, o: CronJobOptions) {
  const first = inv.members[0]!;
  const snap = {
    name: 'etcdctl',
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    env: envOf({
      ETCDCTL_API: '3',
      ETCDCTL_CACERT: first.tls.ca,
      ETCDCTL_CERT: first.tls.cert,
      ETCDCTL_KEY: first.tls.key,
      BACKUP_DIR: BACKUP_MOUNT,
      ...(o.offsite ? { STAGING_DIR: STAGING_MOUNT } : {}),
    }),
    command: ['/bin/sh', '-c', snapshotScript(inv, o).text],
    volumeMounts: [
      { name: 'pki', mountPath: dirOf(first.tls.ca), readOnly: true },
      { name: 'backup', mountPath: BACKUP_MOUNT },
      ...(o.offsite ? [{ name: 'staging', mountPath: STAGING_MOUNT }] : []),
    ],
  };
  return {
    hostNetwork: true,
    nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
    tolerations: [
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    ],
    restartPolicy: 'Never',
    // With an upload the snapshots are taken first (an init container), then uploaded from another image.
    ...(o.offsite
      ? { initContainers: [snap], containers: [uploadContainer(inv, o.offsite)] }
      : { containers: [snap] }),
    volumes: [
      { name: 'pki', hostPath: { path: dirOf(first.tls.ca), type: 'Directory' } },
      { name: 'backup', hostPath: { path: o.hostBackupDir, type: 'DirectoryOrCreate' } },
      ...(o.offsite ? [{ name: 'staging', emptyDir: {} }] : []),
    ],
  };
}

export function cronJob(inv: Inventory, o: CronJobOptions): string {
  if (o.offsite) checkOffsite(o.offsite);
  const off = o.offsite
    ? `; uploaded to ${o.offsite.to}` +
      `${o.offsite.recipients.length ? ` age-encrypted to ${o.offsite.recipients.length} recipient(s)` : ''}, credentials from Secret ${o.offsite.secret}`
    : '';
  const job = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: dnsLabel(`etcd-backup-${inv.cluster}`),
      namespace: o.namespace,
      annotations: {
        'lifeboat/description':
          `etcd snapshots of ${inv.cluster}, kept ${o.retentionDays} days in ${o.hostBackupDir} on ` +
          `the control-plane nodes${off}`,
      },
    },
    spec: {
      schedule: o.schedule,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 1, template: { spec: podSpec(inv, o) } } },
    },
  };
  // The cluster name is free text: in a comment line it must not end the line (a newline would add YAML).
  const copy = o.offsite
    ? `Create the Secret first: kubectl -n ${o.namespace} create secret generic ${o.offsite.secret} ` +
      `--from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...`
    : "Copy the files off the nodes too: run 'lifeboat run backup' from outside.";
  return (
    `# Generated by 'lifeboat backup schedule --emit cronjob' for ${JSON.stringify(inv.cluster)}. ` +
    `${copy}\n${stringify(job, { lineWidth: 0 })}`
  );
}

/** A Kubernetes object name (RFC 1123 label, at most 52 characters for a CronJob) made from free text. */
export const dnsLabel = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 52)
    .replace(/^-+|-+$/g, '') || 'etcd-backup';

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
