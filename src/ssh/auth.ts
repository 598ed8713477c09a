// Authentication methods for one hop: its identity files, then ssh-agent, then the default key files.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { LifeboatError } from '../errors/error.js';
import { hopLabel, type Hop } from './target.js';

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

type Method = PublicKeyAuthMethod | AgentAuthMethod;

/** Reads a key file; undefined when absent, an error string when unusable. */
async function loadKey(file: string): Promise<Buffer | undefined | { problem: string }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { problem: `cannot read identity file ${file}: ${code ?? String(e)}` };
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    return {
      problem: /encrypted|passphrase/i.test(parsed.message)
        ? `identity file ${file} is passphrase-protected`
        : `identity file ${file} is not a usable private key: ${parsed.message}`,
    };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return { problem: `identity file ${file} holds no private key` };
  return data;
}

export async function authMethods(hop: Hop, agentSocket: string | undefined): Promise<Method[]> {
  const methods: Method[] = [];
  const problems: string[] = [];
  const username = hop.user;
  const files =
    hop.identityFiles.length > 0 ? hop.identityFiles : DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k));
  for (const file of files) {
    const got = await loadKey(file);
    if (got === undefined) {
      if (hop.identityExplicit) problems.push(`identity file ${file} does not exist`);
    } else if (Buffer.isBuffer(got)) {
      methods.push({ type: 'publickey', username, key: got });
    } else {
      problems.push(got.problem);
    }
  }
  // An encrypted key is fine when the agent holds it; without an agent it is a clear refusal.
  if (agentSocket !== undefined && agentSocket !== '')
    methods.push({ type: 'agent', username, agent: agentSocket });
  const fatal = problems.filter((p) => !/passphrase-protected/.test(p) || agentSocket === undefined);
  if (hop.identityExplicit && fatal.length > 0 && methods.every((m) => m.type !== 'publickey')) {
    throw new LifeboatError('input', `${fatal.join('; ')} (for ${hopLabel(hop)})`, {
      host: hop.host,
      hint: fatal.some((p) => p.includes('passphrase'))
        ? 'Lifeboat cannot prompt for passphrases: load the key into ssh-agent (ssh-add) and set ' +
          'SSH_AUTH_SOCK, or use an unencrypted key'
        : 'fix ssh.identityFile in the inventory (relative paths resolve against the inventory folder)',
    });
  }
  if (methods.length === 0) {
    throw new LifeboatError(
      'input',
      `no SSH credentials for ${hopLabel(hop)}${problems.length ? `: ${problems.join('; ')}` : ''}`,
      {
        host: hop.host,
        hint: 'set ssh.identityFile in the inventory, or start ssh-agent with the key loaded (SSH_AUTH_SOCK)',
      },
    );
  }
  return methods;
}
