// age encryption of backup files, streamed: X25519 recipients through age-encryption, SSH ed25519/RSA keys as age
// defines them (age-encryption.org/v1/ssh-ed25519 and ssh-rsa stanzas), since the package has only the native ones.
import { constants, createCipheriv, createDecipheriv, createHash, createPrivateKey } from 'node:crypto';
import { createPublicKey, hkdfSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import {
  Decrypter,
  Encrypter,
  Stanza,
  identityToRecipient,
  type Identity,
  type Recipient,
} from 'age-encryption';
import ssh2 from 'ssh2';
import { badInput } from '../errors/error.js';
import { readRegularText } from '../local/input.js';

export const AGE_MAGIC = 'age-encryption.org/v1\n';
const ED_INFO = 'age-encryption.org/v1/ssh-ed25519';
const RSA_LABEL = 'age-encryption.org/v1/ssh-rsa';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const sshTag = (wire: Uint8Array) => b64(createHash('sha256').update(wire).digest().subarray(0, 4));
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) =>
  new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32));

function chacha(key: Uint8Array, data: Uint8Array, open: boolean): Uint8Array {
  const nonce = Buffer.alloc(12);
  if (!open) {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  }
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
}

/** The SSH wire form of a public key line (`ssh-ed25519 AAAA... comment`), checked against its own type name. */
function sshWire(line: string): { type: string; wire: Uint8Array } {
  const [type, body] = line.trim().split(/\s+/);
  const wire = unb64(body ?? '');
  const n = wire.length >= 4 ? Buffer.from(wire).readUInt32BE(0) : 0;
  const short = type === 'ssh-ed25519' && wire.length !== 51; // string type, string 32-byte key
  if (short || Buffer.from(wire.subarray(4, 4 + n)).toString() !== type)
    throw badInput(`backup recipient '${type} ${(body ?? '').slice(0, 12)}…' is not a valid SSH public key`);
  return { type: type!, wire };
}

/** The ed25519 key bytes inside an ssh-ed25519 wire key (string type, string key). */
const edKey = (wire: Uint8Array) => wire.subarray(wire.length - 32);

class SshEd25519Recipient implements Recipient {
  constructor(private readonly wire: Uint8Array) {}
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const pk = ed25519.utils.toMontgomery(edKey(this.wire));
    const eph = x25519.utils.randomSecretKey();
    const share = x25519.getPublicKey(eph);
    const tweak = hkdf(new Uint8Array(0), this.wire, ED_INFO);
    const shared = x25519.scalarMult(tweak, x25519.scalarMult(eph, pk));
    const key = hkdf(shared, Buffer.concat([share, pk]), ED_INFO);
    return [new Stanza(['ssh-ed25519', sshTag(this.wire), b64(share)], chacha(key, fileKey, false))];
  }
}

/** A recipient string as written in the inventory: `age1...`, `ssh-ed25519 AAAA...` or `ssh-rsa AAAA...`. */
export function parseRecipient(s: string): string | Recipient {
  const t = s.trim();
  if (/^age1[02-9ac-hj-np-z]{58}$/.test(t)) return t;
  if (t.startsWith('ssh-ed25519 ')) return new SshEd25519Recipient(sshWire(t).wire);
  if (t.startsWith('ssh-rsa ')) return rsaRecipient(sshWire(t).wire);
  throw badInput(
    `backup recipient '${t.slice(0, 16)}…' is neither an age X25519 key (age1...) nor an ` +
      `ssh-ed25519/ssh-rsa public key`,
    'give age public keys or SSH public key lines in backup.encrypt',
  );
}

/** ssh-rsa wire (string "ssh-rsa", mpint e, mpint n) -> a recipient holding a Node key object. */
function rsaRecipient(wire: Uint8Array): Recipient {
  const parsed = ssh2.utils.parseKey(Buffer.from(`ssh-rsa ${Buffer.from(wire).toString('base64')}`));
  if (parsed instanceof Error || Array.isArray(parsed)) throw badInput('backup recipient: bad ssh-rsa key');
  const key = createPublicKey(parsed.getPublicPEM());
  const tag = sshTag(wire);
  return {
    wrapFileKey: (fileKey) => [
      new Stanza(
        ['ssh-rsa', tag],
        publicEncrypt(
          {
            key,
            oaepHash: 'sha256',
            oaepLabel: Buffer.from(RSA_LABEL),
            padding: constants.RSA_PKCS1_OAEP_PADDING,
          },
          fileKey,
        ),
      ),
    ],
  };
}

/** Short, secret-free names of recipients for the manifest: the age key itself, or the SSH key type and its tag. */
export function recipientLabel(s: string): string {
  const t = s.trim();
  if (t.startsWith('age1')) return t;
  const { type, wire } = sshWire(t);
  const comment = t.split(/\s+/)[2];
  return `${type} ${sshTag(wire)}${comment ? ` ${comment}` : ''}`;
}

/**
 * Identities from a file: age secret keys (one a line, `#` comments) or an unencrypted OpenSSH
 * ed25519/RSA private key.
 */
export function loadIdentities(file: string): Array<string | Identity> {
  let text: string;
  try {
    text = readRegularText(file, 'identity file');
  } catch {
    throw badInput(
      `identity file ${file} cannot be read`,
      'give an age identity or an SSH private key with --identity',
    );
  }
  if (text.includes('PRIVATE KEY-----')) return [sshIdentity(file, text)];
  const keys = text.split('\n').filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (!keys.length)
    throw badInput(`identity file ${file} holds no age secret key and no SSH private key`, 'see age-keygen');
  return keys.map((k) => k.trim());
}

function sshIdentity(file: string, text: string): Identity {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed))
    throw badInput(
      `identity file ${file}: ${parsed instanceof Error ? parsed.message : 'several keys'}`,
      'an unencrypted OpenSSH key is needed (ssh-keygen -p to remove a passphrase on a copy)',
    );
  const wire = new Uint8Array(parsed.getPublicSSH());
  const tag = sshTag(wire);
  const priv = createPrivateKey(parsed.getPrivatePEM());
  if (parsed.type === 'ssh-ed25519') {
    const seed = unb64(
      String(priv.export({ format: 'jwk' }).d)
        .replace(/-/g, '+')
        .replace(/_/g, '/'),
    );
    const sk = ed25519.utils.toMontgomerySecret(seed);
    const pk = ed25519.utils.toMontgomery(edKey(wire));
    const tweak = hkdf(new Uint8Array(0), wire, ED_INFO);
    return {
      unwrapFileKey: (stanzas) => {
        for (const s of stanzas) {
          if (s.args[0] !== 'ssh-ed25519' || s.args[1] !== tag || !s.args[2]) continue;
          const share = unb64(s.args[2]);
          const shared = x25519.scalarMult(tweak, x25519.scalarMult(sk, share));
          return chacha(hkdf(shared, Buffer.concat([share, pk]), ED_INFO), s.body, true);
        }
        return null;
      },
    };
  }
  if (parsed.type === 'ssh-rsa')
    return {
      unwrapFileKey: (stanzas) => {
        const s = stanzas.find((x) => x.args[0] === 'ssh-rsa' && x.args[1] === tag);
        if (!s) return null;
        return privateDecrypt(
          {
            key: priv,
            oaepHash: 'sha256',
            oaepLabel: Buffer.from(RSA_LABEL),
            padding: constants.RSA_PKCS1_OAEP_PADDING,
          },
          s.body,
        );
      },
    };
  throw badInput(`identity file ${file}: ${parsed.type} keys are not age recipients`, 'use ed25519 or RSA');
}

/** Encrypts a stream to the recipients; the result streams (64 KiB chunks), nothing is buffered whole. */
export async function encryptStream(input: Readable, recipients: string[]): Promise<Readable> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(parseRecipient(r));
  const out = await e.encrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
  return Readable.fromWeb(out as unknown as WebStream<Uint8Array>);
}

/** Decrypts an age stream with the identities; a wrong identity is one clear line. */
export async function decryptStream(input: Readable, identities: Array<string | Identity>, what: string) {
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  try {
    const out = await d.decrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
    return Readable.fromWeb(out as unknown as WebStream<Uint8Array>);
  } catch (err) {
    throw badInput(
      `${what}: cannot decrypt with the given identity (${(err as Error).message})`,
      'give the age identity or SSH private key of one of the recipients named in the manifest with --identity',
    );
  }
}

export { identityToRecipient };
