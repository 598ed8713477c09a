// Gathers facts from every member in parallel, read-only; host key problems stop everything before any change.
import { LifeboatError } from '../errors/error.js';
import type { Executor } from '../shell/executor.js';
import type { Inventory } from '../inventory/resolve.js';
import { parseProbe, probeScript, type Facts } from './facts.js';
import { hostFactsProblems } from './facts-schema.js';
import { readCerts } from './certcheck.js';

export async function gatherFacts(inv: Inventory, ex: Executor, now: Date): Promise<Facts> {
  const facts: Facts = { probed: true, collectedAt: now.toISOString(), members: {} };
  await Promise.all(
    inv.members.map(async (m) => {
      try {
        const r = await ex.exec(m.name, probeScript(m), { timeoutMs: 30_000 });
        const p = parseProbe(r.stdout);
        // A compromised member could plant values meant for other hosts' shells: it counts as unreachable.
        const bad = hostFactsProblems(p.facts, p.members);
        if (bad) {
          facts.members[m.name] = {
            reachable: false,
            error: `${m.name} answered with values not safe to use: ${bad}`,
          };
          return;
        }
        facts.members[m.name] = p.facts;
        if (p.members && !facts.memberList) facts.memberList = p.members;
      } catch (err) {
        if (err instanceof LifeboatError && err.code === 'hostkey') throw err;
        facts.members[m.name] = {
          reachable: false,
          error: err instanceof LifeboatError ? err.oneLine() : (err as Error).message,
        };
      }
    }),
  );
  // Certificates are part of what the hosts show: an expired one explains a cluster that looks lost.
  const certificates = await readCerts(inv, facts, ex, now);
  if (certificates.length) facts.certificates = certificates;
  return facts;
}

/** Refuses, before anything runs, when a member cannot be reached over SSH. */
export function requireReachable(inv: Inventory, facts: Facts, allowed: string[] = []): void {
  for (const m of inv.members) {
    const f = facts.members[m.name];
    if (f && !f.reachable && !allowed.includes(m.name)) {
      throw new LifeboatError(
        'unreachable',
        `member ${m.name} (${m.ssh.user}@${m.address}:${m.ssh.port}) is unreachable: ${f.error ?? 'no answer'}`,
        {
          host: m.name,
          hint: 'check the address, sshd and the network, or fix the inventory; nothing was changed',
        },
      );
    }
  }
}
