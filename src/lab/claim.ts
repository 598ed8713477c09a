// Claims a 127.0.N block for one lab, atomically across every lab on this machine (a short mkdir mutex
// guards the claim files).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { refused, usage } from '../errors/error.js';
import { CLAIM_DIR, labFile } from './paths.js';
import { alive } from './proc.js';
import { hostPids } from './hosts.js';
import type { Lab } from './types.js';

const FIRST = 20;
const LAST = 250;

interface Claim {
  subnet: string;
  dir: string;
  labId: string;
  starterPid: number;
  at: string;
}

const claimFile = (subnet: string) => join(CLAIM_DIR, `net-${subnet}.json`);

export function parseSubnet(s: string): string {
  const m = /^127\.0\.(\d{1,3})$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 254)
    throw usage(
      `lab: --subnet '${s}' is not 127.0.N with N in 1..254`,
      'the lab only uses loopback addresses, e.g. --subnet 127.0.42',
    );
  return s;
}

/** Loopback addresses with a listening TCP socket (from /proc/net/tcp). */
function listeningAddresses(): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A' || !f[1]) continue; // 0A = LISTEN
    const hex = f[1].split(':')[0]!;
    const ip = [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
    out.add(ip);
  }
  return out;
}

/** A claim is live while its starter runs or any process of its lab runs. */
function claimLive(c: Claim): boolean {
  if (alive(c.starterPid) && Date.now() - Date.parse(c.at) < 10 * 60_000) return true;
  if (!existsSync(labFile(c.dir))) return false;
  try {
    const lab = JSON.parse(readFileSync(labFile(c.dir), 'utf8')) as Lab;
    return lab.id === c.labId && hostPids(lab).length > 0;
  } catch {
    return false;
  }
}

async function withMutex<T>(fn: () => T): Promise<T> {
  mkdirSync(CLAIM_DIR, { recursive: true, mode: 0o755 });
  const mutex = join(CLAIM_DIR, 'claim.lock');
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      mkdirSync(mutex);
      break;
    } catch {
      try {
        // a holder that died mid-claim
        if (Date.now() - statSync(mutex).mtimeMs > 10_000) rmSync(mutex, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
      if (Date.now() > until)
        throw refused(
          'lab: another lab is claiming addresses and did not finish',
          `remove ${mutex} if no lifeboat is running`,
        );
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
}

/** Claims `wanted` (or the first free block) for the lab in `dir`; returns the subnet. */
export function claimSubnet(dir: string, labId: string, wanted?: string): Promise<string> {
  return withMutex(() => {
    const listening = listeningAddresses();
    const free = (subnet: string): boolean => {
      try {
        const c = JSON.parse(readFileSync(claimFile(subnet), 'utf8')) as Claim;
        if (c.dir !== dir && claimLive(c)) return false;
      } catch {
        // no claim
      }
      return ![...listening].some((ip) => ip.startsWith(`${subnet}.`));
    };
    const candidates = wanted
      ? [wanted]
      : Array.from({ length: LAST - FIRST + 1 }, (_, i) => `127.0.${FIRST + i}`);
    const subnet = candidates.find(free);
    if (!subnet) {
      throw wanted
        ? refused(
            `lab: ${wanted} is in use by another lab or has listeners`,
            'leave --subnet out to pick a free block, or bring the other lab down',
          )
        : refused('lab: no free 127.0.N block', 'bring other labs down (lifeboat lab down --dir ...)');
    }
    const claim: Claim = { subnet, dir, labId, starterPid: process.pid, at: new Date().toISOString() };
    writeFileSync(claimFile(subnet), JSON.stringify(claim));
    return subnet;
  });
}

export function releaseSubnet(subnet: string, labId: string): void {
  try {
    const c = JSON.parse(readFileSync(claimFile(subnet), 'utf8')) as Claim;
    if (c.labId === labId) rmSync(claimFile(subnet), { force: true });
  } catch {
    // nothing claimed
  }
}
