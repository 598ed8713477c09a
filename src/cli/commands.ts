// The one command table: each command lives in its own folder and is imported only when used.
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
  /** Runs only from a checkout (it needs the lab's files), never from the single executable. */
  needsCheckout?: boolean;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'runbooks', summary: 'list the runbooks', load: () => import('./runbooks/index.js') },
  {
    name: 'show',
    summary: 'a runbook: its steps and its diagram (text|mermaid|svg)',
    load: () => import('./show/index.js'),
  },
  {
    name: 'inventory',
    summary: 'inventory check FILE: validate an inventory',
    load: () => import('./inventory/index.js'),
  },
  {
    name: 'backup',
    summary: 'backup list|verify|fetch|prune in a folder or object store; backup schedule --emit cronjob',
    load: () => import('./backup/index.js'),
  },
  {
    name: 'discover',
    summary: 'read how etcd runs on each host (ssh) and write the inventory, with findings',
    load: () => import('./discover/index.js'),
  },
  {
    name: 'diagnose',
    summary: 'read-only health, quorum and consistency check (exit 0/1/3)',
    load: () => import('./diagnose/index.js'),
  },
  {
    name: 'plan',
    summary: 'dry run: every command per host, in order; changes nothing',
    load: () => import('./plan/index.js'),
  },
  {
    name: 'run',
    summary: 'run a runbook (confirmations before destructive steps)',
    load: () => import('./run/index.js'),
  },
  {
    name: 'resume',
    summary: 'continue a run after a crash, a failure or a missing approval',
    load: () => import('./resume/index.js'),
  },
  { name: 'status', summary: 'where a run stands', load: () => import('./status/index.js') },
  {
    name: 'watch',
    summary: 'a run live: in this terminal, or as a read-only page (--serve) for the incident channel',
    load: () => import('./watch/index.js'),
  },
  {
    name: 'audit',
    summary: 'audit verify RUN_DIR: check the hash chain of a run',
    load: () => import('./audit/index.js'),
  },
  {
    name: 'report',
    summary: 'write the postmortem timeline of a run (md|html)',
    load: () => import('./report/index.js'),
  },
  {
    name: 'demo',
    summary: 'the main job on the local lab: backup, lose quorum, recover, verify, report',
    load: () => import('./demo/index.js'),
    needsCheckout: true,
  },
  {
    name: 'lab',
    summary: 'local DR lab: up, status, break, reboot, readdress, exec, down',
    load: () => import('./lab/index.js'),
    needsCheckout: true,
  },
  {
    name: 'snapshot',
    summary: 'read etcd snapshot files offline: verify, inspect, ls, get, diff, extract',
    load: () => import('./snapshot/index.js'),
  },
  {
    name: 'decode',
    summary: 'decode one value Kubernetes stored in etcd to YAML/JSON',
    load: () => import('./decode/index.js'),
  },
  {
    name: 'version',
    summary: 'the version, the commit it was built from and the build date',
    load: () => import('./version/index.js'),
  },
];
