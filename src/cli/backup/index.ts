// `lifeboat backup schedule --emit cronjob -i INVENTORY`: a CronJob manifest for scheduled snapshots.
import { parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { loadInventory } from '../../inventory/load.js';
import { cronJob } from '../../backup/cronjob.js';
import { STORE_HELP } from './help.js';

const HELP = `Usage: lifeboat backup schedule --emit cronjob -i INVENTORY [--schedule CRON] [--image IMAGE]
                                [--backup-dir HOST_DIR] [--retention-days N] [--namespace NS]

Prints a CronJob that snapshots every member from the control-plane nodes (hostNetwork, etcd PKI and
backup dir as hostPath), checks each snapshot and keeps N days. Defaults: every 6 hours, etcd 3.5
image, /var/backups/etcd, 7 days, kube-system. For full backups copied off the cluster: 'lifeboat run backup'.

Backups kept off the cluster:
${STORE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  if (['list', 'verify', 'fetch', 'prune'].includes(argv[0] ?? ''))
    return (await import('./store.js')).runStore(argv);
  const { values, positionals } = parse('backup', argv, {
    emit: { type: 'string' },
    inventory: { type: 'string', short: 'i' },
    schedule: { type: 'string' },
    image: { type: 'string' },
    'backup-dir': { type: 'string' },
    'retention-days': { type: 'string' },
    namespace: { type: 'string' },
  });
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
  process.stdout.write(
    cronJob(loadInventory(values.inventory), {
      schedule,
      image: values.image ?? 'registry.k8s.io/etcd:3.5.15-0',
      namespace: values.namespace ?? 'kube-system',
      hostBackupDir: values['backup-dir'] ?? '/var/backups/etcd',
      retentionDays: days,
    }),
  );
  return EXIT.ok;
}
