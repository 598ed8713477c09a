// `lifeboat backup schedule --emit cronjob -i INVENTORY`: a CronJob manifest for scheduled snapshots.
import { parse } from '../args.js';
import { badInput, usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import { readFileSync } from 'node:fs';
import { cronJob, dnsLabel, type CronJobOffsite } from '../../backup/cronjob.js';
import { isS3 } from '../../backup/url.js';
import type { Inventory } from '../../inventory/resolve.js';
import { STORE_HELP } from './help.js';
import { gatherFacts } from '../../etcd/probe.js';
import { etcdImageFor, newestMemberRelease } from '../../etcd/versions.js';
import { SshExecutor } from '../../ssh/index.js';

const HELP = `Usage: lifeboat backup schedule --emit cronjob -i INVENTORY [--schedule CRON] [--image IMAGE]
                                [--backup-dir HOST_DIR] [--retention-days N] [--namespace NS]
                                [--to s3://BUCKET/PREFIX --upload-image IMAGE [--s3-secret NAME]
                                 [--endpoint URL] [--recipients FILE]] [--local-only]

Prints a CronJob that snapshots every member from the control-plane nodes (hostNetwork, etcd PKI and
backup dir as hostPath), checks each snapshot and keeps N days. Defaults: every 6 hours, the etcd image of
the cluster's own version (read from the members over SSH; --image skips that), /var/backups/etcd, 7 days,
kube-system. For full backups copied off the cluster: 'lifeboat run backup'.

With --to s3://... (or an s3:// backup.to in the inventory) each run is also uploaded as a Lifeboat
backup (listed, verified, restored like any other), age-encrypted to --recipients FILE or the inventory's
backup.encrypt.recipients. Credentials come from the Secret NAME (default etcd-backup-s3; keys
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN), referenced, never inlined.
IMAGE needs sh, rclone, sha256sum and age (e.g. Alpine with 'apk add rclone age'). --local-only: no upload.

Backups kept off the cluster:
${STORE_HELP}`;

const FLAGS = {
  emit: { type: 'string' },
  inventory: { type: 'string', short: 'i' },
  schedule: { type: 'string' },
  image: { type: 'string' },
  'backup-dir': { type: 'string' },
  'retention-days': { type: 'string' },
  namespace: { type: 'string' },
  to: { type: 'string' },
  'upload-image': { type: 'string' },
  's3-secret': { type: 'string' },
  endpoint: { type: 'string' },
  recipients: { type: 'string' },
  'local-only': { type: 'boolean' },
} as const;

export async function run(argv: string[]): Promise<number> {
  if (['list', 'verify', 'fetch', 'prune'].includes(argv[0] ?? ''))
    return (await import('./store.js')).runStore(argv);
  const { values, positionals } = parse('backup', argv, FLAGS);
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  if (positionals[0] !== 'schedule')
    throw usage(
      'backup: expected `backup schedule --emit cronjob -i INVENTORY`',
      "for a backup now: 'lifeboat run backup -i INVENTORY'",
    );
  if (values.emit !== 'cronjob')
    throw usage(
      `backup schedule: --emit ${values.emit ?? '(missing)'} is not supported`,
      'use --emit cronjob',
    );
  if (!values.inventory)
    throw usage('backup schedule: -i INVENTORY is required', 'give the inventory file with -i');
  const days = Number(values['retention-days'] ?? '7');
  if (!Number.isInteger(days) || days < 1)
    throw usage(
      `backup schedule: --retention-days '${values['retention-days']}' is not a whole number of days`,
      'e.g. --retention-days 7',
    );
  const schedule = values.schedule ?? '0 */6 * * *';
  if (schedule.trim().split(/\s+/).length !== 5)
    throw usage(
      `backup schedule: --schedule '${schedule}' is not a 5-field cron expression`,
      "e.g. --schedule '0 */6 * * *'",
    );
  const inv = loadInventory(values.inventory);
  process.stdout.write(
    cronJob(inv, {
      schedule,
      image: values.image ?? (await clusterImage(inv)),
      namespace: values.namespace ?? 'kube-system',
      hostBackupDir: values['backup-dir'] ?? '/var/backups/etcd',
      retentionDays: days,
      offsite: offsiteOf(values, inv),
    }),
  );
  return EXIT.ok;
}

/** The kubeadm etcd image of the newest release the members run (read-only probe), so the CronJob's etcdctl and
 *  etcdutl match the cluster's data (3.6 removed etcdctl snapshot status; a newer etcdutl may not read older data). */
async function clusterImage(inv: Inventory): Promise<string> {
  const ex = new SshExecutor(inv, { acceptNewHostKeys: false });
  let release: string | undefined;
  try {
    release = newestMemberRelease(await gatherFacts(inv, ex, new Date()));
  } finally {
    await ex.close();
  }
  if (!release)
    throw usage(
      "backup schedule: no member answered with its etcd version, so the CronJob's image is unknown",
      'pass --image registry.k8s.io/etcd:X.Y.Z-0 (the release the cluster runs)',
    );
  return etcdImageFor(release);
}

type Values = ReturnType<typeof parse<typeof FLAGS>>['values'];

/** Where the CronJob uploads, if anywhere: --to or an s3:// backup.to, unless --local-only. */
function offsiteOf(v: Values, inv: Inventory): CronJobOffsite | undefined {
  const to = v.to ?? (inv.backup?.to && isS3(inv.backup.to) ? inv.backup.to : undefined);
  if (v['local-only'] || !to) return undefined;
  if (!isS3(to))
    throw usage(
      `backup schedule: --to ${to} is not s3://BUCKET/PREFIX`,
      'the CronJob uploads only to object stores',
    );
  if (!v['upload-image'])
    throw usage(
      `backup schedule: uploading to ${to} needs --upload-image IMAGE (with sh, rclone, sha256sum and age)`,
      'e.g. an Alpine image with rclone and age installed, or --local-only',
    );
  const secret = v['s3-secret'] ?? 'etcd-backup-s3';
  if (dnsLabel(secret) !== secret)
    throw usage(
      `backup schedule: --s3-secret '${secret}' is not a Kubernetes object name`,
      'e.g. etcd-backup-s3',
    );
  const endpoint = v.endpoint ?? inv.backup?.endpoint;
  if (endpoint && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint))
    throw usage(
      `backup schedule: --endpoint '${endpoint}' is not http(s)://HOST[:PORT]`,
      'e.g. https://minio.example:9000',
    );
  return {
    to,
    endpoint,
    region: inv.backup?.region,
    pathStyle: inv.backup?.pathStyle,
    secret,
    image: v['upload-image'],
    recipients: v.recipients ? readRecipients(v.recipients) : (inv.backup?.encrypt?.recipients ?? []),
  };
}

function readRecipients(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw badInput(`backup schedule: cannot read --recipients ${file}`, 'one age or SSH public key a line');
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
