// Worker side of a parallel key-bucket scan (inspect on large snapshots): claims subtree groups until none are left.
import { parentPort, workerData } from 'node:worker_threads';
import { Bolt } from './bolt.js';
import { claimScans } from './keyscan.js';
import { PageFile } from './pagefile.js';

const { path, root, groups, counter } = workerData as {
  path: string;
  root: number;
  groups: number[][];
  counter: SharedArrayBuffer;
};
const file = new PageFile(path);
try {
  const bolt = Bolt.open(file);
  parentPort!.postMessage({ ok: true, scans: claimScans(bolt, { root }, groups, new Int32Array(counter)) });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message });
} finally {
  file.close();
}
