// The bastion host of a jump-mode lab: sshd only (the operator account), in its own network namespace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASTION, bastionInit, bastionSshdConfig } from './access.js';
import { hostDir, logDir, stateDir, standinsDir } from './paths.js';
import { sshKey } from './pki.js';
import { HOST_PATH } from './render.js';
import type { LabMember } from './types.js';

/** Writes the bastion's files; returns its SSH host public key. */
export async function buildBastion(o: {
  dir: string;
  labId: string;
  address: string;
  members: LabMember[];
  authorizedKeys: string;
}): Promise<string> {
  const H = hostDir(o.dir, BASTION);
  for (const d of [
    join(H, 'root', 'etc'),
    join(H, 'work', 'etc'),
    stateDir(o.dir, BASTION),
    logDir(o.dir, BASTION),
    join(H, 'ssh'),
  ])
    mkdirSync(d, { recursive: true });
  const pub = await sshKey(join(H, 'ssh', 'ssh_host_ed25519_key'), `root@${BASTION}`);
  writeFileSync(join(H, 'sshd_config'), bastionSshdConfig(H, o.members));
  writeFileSync(
    join(H, 'init.sh'),
    bastionInit({
      labId: o.labId,
      hostDir: H,
      address: o.address,
      node: process.execPath,
      standins: standinsDir(),
      path: HOST_PATH,
      authorizedKeys: o.authorizedKeys,
    }).text,
    { mode: 0o755 },
  );
  return pub;
}
