// `lifeboat snapshot verify|inspect|ls|get|diff|extract|analyze|history|checksum|leases`: read etcd snapshot files offline (see docs/snapshots.md).
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';

const HELP =
  `Usage: lifeboat snapshot <command> FILE ... (no etcd needed; see docs/snapshots.md)
       An age-encrypted FILE (from an encrypted backup) is opened with --identity FILE.

  verify FILE [-o text|json]
        sha256 appended by 'etcdctl snapshot save', bbolt structure, every MVCC record
  inspect FILE [-o text|json] [--hash]
        revision, compacted revision, total keys (as etcdctl snapshot status), counts per resource and namespace;
        --hash adds etcdctl's CRC-32C hash (slower: it reads every byte through a JS CRC)
  ls FILE [PREFIX] [--rev N] [-o text|json]
        live keys with create/mod revision and version
  get FILE KEY [--rev N] [-o yaml|json|raw] [--encryption-config F] [--show-managed-fields]
        one value, decoded (protobuf, JSON, encrypted)
  diff BEFORE AFTER [--prefix P] [--exclude RESOURCE]... [-o text|json]
        objects added, removed and changed, by resource, namespace and name
  extract FILE [--kind KIND] [--namespace NS] [--name NAME] [--since REV] [--for-apply] [-o ` +
  `yaml|json] [--rev N] [--encryption-config F]
        manifests ready for 'kubectl apply -f' (--clean drops resourceVersion, uid, ` +
  `managedFields, creationTimestamp, status)
  analyze FILE [--top N] [-o text|json]
        what holds the space: bytes per resource and namespace over every stored revision, the largest
        objects, the keys with the most history ("what filled the quota?")
  history FILE KEY [-o yaml|json] [--encryption-config F]
        every revision of KEY still in the snapshot, decoded (and its deletions)
  checksum FILE [--rev N] [-o text|json]
        the keyspace hash etcd's HashKV gives at revision N ('etcdctl endpoint hashkv --rev N')
  leases FILE [--rev N] [-o text|json]
        leases with their TTLs and the keys attached to each
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (
    sub === undefined ||
    sub === '--help' ||
    sub === '-h' ||
    sub === 'help' ||
    rest.includes('--help') ||
    rest.includes('-h')
  ) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const { argv: args, done } = await (await import('./decrypt.js')).decryptArgs(sub, rest);
  try {
    return await runSub(sub, args);
  } finally {
    done();
  }
}

async function runSub(sub: string, rest: string[]): Promise<number> {
  switch (sub) {
    case 'verify':
      return (await import('./verify.js')).runVerify(rest);
    case 'inspect':
      return (await import('./inspect.js')).runInspect(rest);
    case 'ls':
      return (await import('./ls.js')).runLs(rest);
    case 'get':
      return (await import('./get.js')).runGet(rest);
    case 'diff':
      return (await import('./diff.js')).runDiff(rest);
    case 'extract':
      return (await import('./extract.js')).runExtract(rest);
    case 'analyze':
      return (await import('./analyze.js')).runAnalyze(rest);
    case 'history':
      return (await import('./history.js')).runHistory(rest);
    case 'checksum':
      return (await import('./checksum.js')).runChecksum(rest);
    case 'leases':
      return (await import('./leases.js')).runLeases(rest);
    default:
      throw usage(`snapshot: unknown command '${sub}'`, "run 'lifeboat snapshot --help'");
  }
}
