// The sha256 and size of a file on the operator's disk, streamed (snapshots are gigabytes).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export const fileSha256 = (path: string) =>
  new Promise<{ sha256: string; bytes: number }>((resolveDigest, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      })
      .on('error', reject)
      .on('end', () => resolveDigest({ sha256: hash.digest('hex'), bytes }));
  });
