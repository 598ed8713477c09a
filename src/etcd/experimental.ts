// etcd 3.6 deprecated every --experimental-* flag and 3.7 removed them (etcd refuses to start with one): each has a
// successor, a flag without the prefix or a feature gate (etcd 3.6 server/embed/config.go and server/features).

/** Flags that kept their meaning under a new name. */
export const RENAMED: Readonly<Record<string, string>> = {
  'experimental-compact-hash-check-time': 'compact-hash-check-time',
  'experimental-corrupt-check-time': 'corrupt-check-time',
  'experimental-compaction-batch-limit': 'compaction-batch-limit',
  'experimental-watch-progress-notify-interval': 'watch-progress-notify-interval',
  'experimental-warning-apply-duration': 'warning-apply-duration',
  'experimental-warning-unary-request-duration': 'warning-unary-request-duration',
  'experimental-bootstrap-defrag-threshold-megabytes': 'bootstrap-defrag-threshold-megabytes',
  'experimental-memory-mlock': 'memory-mlock',
  'experimental-snapshot-catchup-entries': 'snapshot-catchup-entries',
  'experimental-compaction-sleep-interval': 'compaction-sleep-interval',
  'experimental-downgrade-check-time': 'downgrade-check-time',
  'experimental-peer-skip-client-san-verification': 'peer-skip-client-san-verification',
  'experimental-enable-distributed-tracing': 'enable-distributed-tracing',
  'experimental-distributed-tracing-address': 'distributed-tracing-address',
  'experimental-distributed-tracing-service-name': 'distributed-tracing-service-name',
  'experimental-distributed-tracing-instance-id': 'distributed-tracing-instance-id',
  'experimental-distributed-tracing-sampling-rate': 'distributed-tracing-sampling-rate',
  'experimental-max-learners': 'max-learners',
};

/** Boolean flags that became feature gates (--feature-gates=Gate=true,...). */
export const GATES: Readonly<Record<string, string>> = {
  'experimental-initial-corrupt-check': 'InitialCorruptCheck',
  'experimental-compact-hash-check-enabled': 'CompactHashCheck',
  'experimental-txn-mode-write-with-shared-buffer': 'TxnModeWriteWithSharedBuffer',
  'experimental-enable-lease-checkpoint': 'LeaseCheckpoint',
  'experimental-enable-lease-checkpoint-persist': 'LeaseCheckpointPersist',
  'experimental-stop-grpc-service-on-defrag': 'StopGRPCServiceOnDefrag',
};

export interface FlagMigration {
  /** For Platform.setEtcdFlags: each old flag removed (null), each successor set. */
  edits: Record<string, string | null>;
  /** One line per flag: old -> new. */
  lines: string[];
  /** Flags with no successor, removed with nothing in their place. */
  dropped: string[];
}

/** The edit that replaces `found` (NAME=VALUE, as the probe reports them) with their successors; gates join
 *  `featureGates`, the --feature-gates value the configuration already carries. */
export function migrateExperimental(found: string[], featureGates?: string): FlagMigration {
  const edits: Record<string, string | null> = {};
  const lines: string[] = [];
  const dropped: string[] = [];
  let gated = false;
  const gates = new Map(
    (featureGates ?? '')
      .split(',')
      .filter((g) => g.includes('='))
      .map((g) => g.split('=') as [string, string]),
  );
  for (const f of found) {
    const eq = f.indexOf('=');
    const name = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? 'true' : f.slice(eq + 1);
    edits[name] = null;
    const renamed = RENAMED[name];
    const gate = GATES[name];
    if (renamed) {
      edits[renamed] = value;
      lines.push(`--${name}=${value} -> --${renamed}=${value}`);
    } else if (gate) {
      gates.set(gate, value);
      gated = true;
      lines.push(`--${name}=${value} -> --feature-gates=${gate}=${value}`);
    } else {
      dropped.push(name);
      lines.push(`--${name}=${value} -> removed (no successor in etcd 3.6+)`);
    }
  }
  // Merged into the gates the configuration already sets: the edit replaces the one --feature-gates flag.
  if (gated) edits['feature-gates'] = [...gates].map(([k, v]) => `${k}=${v}`).join(',');
  return { edits, lines, dropped };
}
