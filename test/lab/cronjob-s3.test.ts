// The scheduled backup off the node, end to end on the lab: the CronJob that `backup schedule --emit cronjob --to
// s3://...` prints is rendered, and its two containers' scripts run on a control-plane host as the kubelet would run
// them (the container's env, the backup hostPath at its mount path, a fresh folder for the emptyDir, the Secret's
// values as env) against s3rver; the result is a Lifeboat backup that lists, verifies and restores every key.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requires } from '../helpers/capability.js';
import { parse } from 'yaml';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { labExec, type Lab } from '../../src/lab/index.js';
import { AGE_MAGIC } from '../../src/backup/age.js';
import { openStore } from '../../src/backup/store.js';
import { sh } from '../../src/shell/sh.js';
import { cli, clusterValues, damage, expectCode, expectSameData, oneLab, ROOT } from './runbook-helpers.js';
import { startS3, type S3Server } from './s3-server.js';

const SECRET = 'lifeboat-cron-secret-never-inlined-51c2';
const TOOLS = ['rclone', 'age'].map((t) => join(ROOT, `.cache/debian/sid/${t}/usr/bin`));
const haveTools = TOOLS.every((d) => existsSync(d));

interface Container {
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>;
  command: string[];
  image: string;
}

let lab: Lab;
let s3: S3Server;
const dir = oneLab('cron', { members: 3, mode: 'static-pod' }, (l) => (lab = l));
beforeAll(async () => {
  s3 = await startS3(['bkt']);
  // For the CLI's own reads of the store (list, verify, restore); s3rver checks only the key id.
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
});
afterAll(async () => s3?.stop());

/** What the kubelet would do for one container: its env (Secret references resolved), then its command, on the node. */
async function runContainer(c: Container, extra: Record<string, string>, secret: Record<string, string>) {
  const env = Object.fromEntries(
    c.env.map((e) => [e.name, e.value ?? secret[e.valueFrom!.secretKeyRef.key] ?? '']),
  );
  const vars = Object.entries({ ...env, ...extra }).map(([k, v]) => `${k}=${v}`);
  return labExec(lab, 'cp-1', sh`env ${vars} ${c.command}`.text, { timeoutMs: 120_000 });
}

describe.runIf(requires('rclone and age in .cache/debian/sid', haveTools))(
  'backup schedule --emit cronjob --to s3:// (rclone and age from .cache)',
  () => {
    it('uploads an encrypted Lifeboat backup that lists, verifies and restores every key; no credential in the manifest', async () => {
      const want = await clusterValues(lab);
      const id = await generateIdentity();
      writeFileSync(join(dir, 'id.txt'), id + '\n', { mode: 0o600 });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh')]);
      writeFileSync(
        join(dir, 'rcp'),
        `${await identityToRecipient(id)}\n${readFileSync(join(dir, 'ssh.pub'), 'utf8')}`,
      );
      const base = ['backup', 'schedule', '--emit', 'cronjob', '-i', lab.inventoryPath, '--backup-dir'];
      const em = await cli([
        ...base,
        '/backup',
        '--to',
        's3://bkt/cron',
        '--endpoint',
        s3.endpoint,
        '--upload-image',
        'uploader:test',
        '--s3-secret',
        'etcd-s3',
        '--recipients',
        join(dir, 'rcp'),
      ]);
      expectCode(em, 0);
      const noImage = await cli([...base, '/backup', '--to', 's3://bkt/cron']);
      expectCode(noImage, 2);
      expect(noImage.stderr).toMatch(/needs --upload-image/);
      const pod = (parse(em.stdout) as { spec: any }).spec.jobTemplate.spec.template.spec as {
        initContainers: Container[];
        containers: Container[];
      };
      // No --image: the snapshot container runs the image of the release the members report.
      expect(pod.initContainers[0]!.image).toBe(lab.etcd!.image);
      const staging = join(dir, 'staging');
      mkdirSync(staging, { mode: 0o700 });
      const secret = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: SECRET };
      const snap = await runContainer(pod.initContainers[0]!, { STAGING_DIR: staging }, {});
      expect(snap.code, snap.stderr).toBe(0);
      const path = `${TOOLS.join(':')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
      const up = await runContainer(
        pod.containers[0]!,
        { STAGING_DIR: staging, PATH: path, HOME: dir },
        secret,
      );
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/backup \S+ uploaded to s3:\/\/bkt\/cron\//);

      const list = await cli(['backup', 'list', 's3://bkt/cron', '--endpoint', s3.endpoint, '-o', 'json']);
      expectCode(list, 0);
      const all = JSON.parse(list.stdout) as Array<{
        id: string;
        cluster: string;
        encrypted: boolean;
        verified: boolean;
        members: Array<{ member: string; revision: number; totalKey: number }>;
        files: Array<{ recipients: string[] }>;
      }>;
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ cluster: lab.cluster, encrypted: true, verified: true });
      expect(all[0]!.members.map((m) => m.member).sort()).toEqual(lab.members.map((m) => m.name).sort());
      for (const m of all[0]!.members) expect(m.revision).toBeGreaterThan(0);
      for (const f of all[0]!.files) expect(f.recipients).toHaveLength(2);
      const bid = all[0]!.id;
      const ver = await cli([
        'backup',
        'verify',
        `s3://bkt/cron/${bid}`,
        '--endpoint',
        s3.endpoint,
        '--identity',
        join(dir, 'id.txt'),
      ]);
      expectCode(ver, 0);
      const store = openStore('s3://bkt/cron', { endpoint: s3.endpoint });
      try {
        for (const o of (await store.list(`${bid}/`)).filter((x) => x.key.endsWith('.db.age'))) {
          const chunks: Buffer[] = [];
          for await (const c of await store.get(o.key)) chunks.push(c as Buffer);
          expect(Buffer.concat(chunks).subarray(0, AGE_MAGIC.length).toString(), o.key).toBe(AGE_MAGIC);
        }
      } finally {
        store.close();
      }
      await damage(lab, 'cron');
      const rs = await cli([
        'run',
        'restore-multi-master',
        '-i',
        lab.inventoryPath,
        '--set',
        `snapshot=s3://bkt/cron/${bid}`,
        '--set',
        `endpoint=${s3.endpoint}`,
        '--identity',
        join(dir, 'ssh'),
        '--yes',
        '--run-dir',
        join(dir, 'run-rs'),
      ]);
      expectCode(rs, 0);
      expectSameData(await clusterValues(lab), want);
      // The manifest references the Secret by name and key; its values appear nowhere it or the store holds.
      expect(em.stdout).toContain('secretKeyRef');
      for (const text of [em.stdout, list.stdout, ver.stdout + ver.stderr, rs.stdout + rs.stderr])
        expect(text.includes(SECRET)).toBe(false);
    });
  },
);
