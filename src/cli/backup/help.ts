// Help text of the backup store commands (kept apart so `backup --help` loads no SDK).
export const STORE_HELP = `       lifeboat backup list [TARGET] [-i INVENTORY] [-o json]
       lifeboat backup verify BACKUP [--identity FILE] [--restore]
       lifeboat backup fetch BACKUP DIR [--identity FILE]
       lifeboat backup prune [TARGET] [-i INVENTORY] [--keep N] [--days D] [--stale-hours H] [--yes]

TARGET is a folder or s3://BUCKET/PREFIX (default: the inventory's backup.to, else .lifeboat/backups);
BACKUP is TARGET/ID or an ID from 'backup list'. Object-store credentials come from the AWS environment,
shared config/credentials files or AWS_PROFILE; --endpoint URL (or backup.endpoint) for S3-compatible stores.
prune lists what it would delete; --yes deletes (only backups with a Lifeboat manifest; logged in
.lifeboat/backup-audit.jsonl) and aborts uploads begun more than H hours ago (default 24) and never
completed, e.g. by a killed run or CronJob (a retried backup drops its own at once).
verify --restore restores each snapshot with the etcd of its own version (this machine's) into a throwaway
data dir, serves it on 127.0.0.1, compares revision, key count and hashes with the manifest, decodes every
Kubernetes object (counting partial decodes), then stops that etcd and removes the dir; exit 1 on a mismatch.`;
