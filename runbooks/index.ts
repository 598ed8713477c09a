// The runbooks shipped here, in the order `lifeboat runbooks` and the docs list them (each is runbooks/<id>.ts).
export const RUNBOOK_IDS = [
  'backup',
  'restore-single-master',
  'restore-multi-master',
  'recover-quorum',
  'replace-member',
  'readdress',
  'free-space',
  'defrag',
  'renew-certs',
  'migrate-flags',
] as const;
