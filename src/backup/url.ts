// s3:// targets as text, apart from the SDK (so `backup schedule` and help load none of it).
import { badInput } from '../errors/error.js';

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9._/-]*))?$/;

export const isS3 = (to: string) => to.startsWith('s3://');

/** s3://BUCKET[/PREFIX] -> its bucket and prefix (no leading or trailing slash); anything else is exit 2. */
export function parseS3Url(to: string): { bucket: string; prefix: string } {
  const m = S3_URL.exec(to);
  if (!m) throw badInput(`backup target ${to} is not s3://BUCKET[/PREFIX]`, 'e.g. s3://etcd-backups/prod');
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
