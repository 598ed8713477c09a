// s3rver in its own process, plus the two S3 calls it lacks and Lifeboat uses to clean up killed uploads:
// ListMultipartUploads (GET /BUCKET?uploads) and AbortMultipartUpload (DELETE /BUCKET/KEY?uploadId=ID), answered from
// s3rver's own folder of pending uploads (BUCKET/._S3rver_uploads/ID/{key,PART...}).
//   node test/lab/s3rver-child.mjs DIR PORT BUCKET...
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';

const [dir, port, ...buckets] = process.argv.slice(2);
const uploadsOf = (bucket) => join(dir, bucket, '._S3rver_uploads');

function pending(bucket, prefix) {
  let ids = [];
  try {
    ids = readdirSync(uploadsOf(bucket));
  } catch {
    return [];
  }
  return ids
    .map((id) => {
      const d = join(uploadsOf(bucket), id);
      return {
        Key: readFileSync(join(d, 'key'), 'utf8'),
        UploadId: id,
        Initiated: statSync(join(d, 'key')).mtime.toISOString(),
      };
    })
    .filter((u) => u.Key.startsWith(prefix));
}

async function multipartAdmin(ctx, next) {
  const [bucket, ...key] = ctx.path.split('/').filter(Boolean);
  if (ctx.method === 'GET' && bucket && !key.length && 'uploads' in ctx.query) {
    const Upload = pending(bucket, String(ctx.query.prefix ?? ''));
    ctx.body = {
      ListMultipartUploadsResult: {
        '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
        Bucket: bucket,
        Prefix: String(ctx.query.prefix ?? ''),
        IsTruncated: false,
        ...(Upload.length ? { Upload } : {}),
      },
    };
    return;
  }
  if (ctx.method === 'DELETE' && bucket && key.length && ctx.query.uploadId) {
    const id = String(ctx.query.uploadId);
    if (!/^[A-Za-z0-9._-]+$/.test(id)) ctx.throw(400);
    rmSync(join(uploadsOf(bucket), id), { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  await next();
}

const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
// Just before s3rver's router (after its XML encoder, so a plain object body is sent as XML).
server.middleware.splice(server.middleware.length - 1, 0, multipartAdmin);
await server.run();
