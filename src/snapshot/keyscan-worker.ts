// Worker half of a parallel key-bucket scan (inspect on large snapshots): scans the subtrees it is given.
import { parentPort, workerData } from 'node:worker_threads';
import { Bolt } from './bolt.js';
import { scanKeys } from './keyscan.js';
import { PageFile } from './pagefile.js';

const { path, root, roots } = workerData as { path: string; root: number; roots: number[] };
const file = new PageFile(path);
try {
  const bolt = Bolt.open(file);
  parentPort!.postMessage({ ok: true, scan: scanKeys(bolt, { root }, roots) });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message });
} finally {
  file.close();
}
