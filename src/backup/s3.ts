// An S3-compatible object store as a backup store: streaming multipart uploads, credentials as the AWS
// SDK resolves them
// (env, shared config/credentials files, profile); never stored, never printed.
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { badInput } from '../errors/error.js';
import type { PendingUpload, Store, StoredObject } from './store.js';

export interface S3Options {
  bucket: string;
  prefix: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  pathStyle?: boolean | undefined;
  profile?: string | undefined;
}

const AUTH = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'CredentialsProviderError',
  'Forbidden',
]);

/** One clear line for what the store said: wrong credentials, no such bucket, unreachable endpoint. */
export function storeError(url: string, err: unknown): Error {
  const e = err as {
    name?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.Code ?? e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  if (AUTH.has(name) || status === 403 || /credential/i.test(e.message ?? ''))
    return badInput(
      `object store ${url} refused the credentials (${name})`,
      'check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the shared credentials file',
    );
  if (name === 'NoSuchBucket' || (status === 404 && /bucket/i.test(name + (e.message ?? ''))))
    return badInput(
      `object store ${url}: the bucket does not exist`,
      'create it, or fix the bucket in backup.to',
    );
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i.test(`${name} ${e.message ?? ''}`))
    return badInput(
      `object store ${url} cannot be reached (${name})`,
      'check backup.endpoint and the network',
    );
  return badInput(
    `object store ${url}: ${name}${status ? ` (HTTP ${status})` : ''}`,
    'check backup.to and endpoint',
  );
}

// The SDK warns on Node 20 at its first client; Lifeboat supports Node 20, so the warning is noise on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export class S3Store implements Store {
  readonly url: string;
  private readonly client: S3Client;
  constructor(private readonly o: S3Options) {
    this.url = `s3://${o.bucket}/${o.prefix}`;
    this.client = new S3Client({
      region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.pathStyle !== undefined ? { forcePathStyle: o.pathStyle } : {}),
      ...(o.profile ? { profile: o.profile } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }
  private key = (k: string) => `${this.o.prefix ? this.o.prefix.replace(/\/?$/, '/') : ''}${k}`;
  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw storeError(this.url, err);
    }
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
    } catch (err) {
      // HEAD has no body: a missing bucket is only a 404.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        throw storeError(this.url, { name: 'NoSuchBucket' });
      throw storeError(this.url, err);
    }
  }

  async put(key: string, body: Readable, meta: Record<string, string>): Promise<void> {
    const up = new Upload({
      client: this.client,
      params: { Bucket: this.o.bucket, Key: this.key(key), Body: body, Metadata: meta },
      // 8 MiB parts, two in flight: memory stays near 16 MiB whatever the file's size.
      partSize: 8 << 20,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await this.call(() => up.done());
  }

  async get(key: string): Promise<Readable> {
    const r = await this.call(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) })),
    );
    return r.Body as Readable;
  }

  async list(under = ''): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.o.bucket,
            Prefix: this.key(under),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const c of r.Contents ?? [])
        out.push({ key: c.Key!.slice(this.key('').length), bytes: c.Size ?? 0 });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async remove(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000)
      await this.call(() =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.o.bucket,
            Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: this.key(k) })) },
          }),
        ),
      );
  }

  async pendingUploads(under = ''): Promise<PendingUpload[]> {
    const out: PendingUpload[] = [];
    let marker: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const r = await this.client
        .send(new ListMultipartUploadsCommand({ Bucket: this.o.bucket, Prefix: this.key(under), ...marker }))
        .catch((err: unknown) => {
          // A store that cannot list pending uploads has none Lifeboat could clean; anything else is an error.
          if ((err as { name?: string }).name === 'NotImplemented')
            return { Uploads: [], IsTruncated: false } as Partial<ListMultipartUploadsCommandOutput>;
          throw storeError(this.url, err);
        });
      for (const u of r.Uploads ?? [])
        if (u.Key && u.UploadId)
          out.push({
            key: u.Key.slice(this.key('').length),
            id: u.UploadId,
            initiated: u.Initiated ?? new Date(0),
          });
      if (!r.IsTruncated) return out;
      marker = { KeyMarker: r.NextKeyMarker!, UploadIdMarker: r.NextUploadIdMarker! };
    }
  }

  async abortUpload(p: PendingUpload): Promise<void> {
    await this.call(() =>
      this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.key(p.key), UploadId: p.id }),
      ),
    );
  }

  close(): void {
    this.client.destroy();
  }
}
