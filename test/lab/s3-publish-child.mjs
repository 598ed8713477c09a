// Publishes one backup (earlier unfinished uploads of it aborted, files, then manifest) with the built dist/, printing after each file: killed mid-way by a test.
import { openStore } from '../../dist/src/backup/store.js';
import { abortPending, putFile, putManifest } from '../../dist/src/backup/backups.js';

const [target, endpoint, id, ...files] = process.argv.slice(2);
const store = openStore(target, { endpoint });
const out = [];
// As the publish step does: a killed earlier attempt's unfinished uploads of this backup go first.
const aborted = await abortPending(store, `${id}/`);
if (aborted.length) process.stdout.write(`aborted ${aborted.length}\n`);
for (const f of files) {
  const [path, sha, name] = f.split('|');
  out.push(await putFile(store, id, name, path, sha));
  process.stdout.write(`put ${name}\n`);
}
const manifest = { format: 'lifeboat-backup/1', id, cluster: 'kill', takenAt: new Date().toISOString() };
await putManifest(store, { ...manifest, encrypted: false, verified: true, members: [], files: out });
process.stdout.write('manifest\n');
store.close();
