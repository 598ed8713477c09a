// Audit anchors: the log's head (seq and hash) written beside the cluster lock on every reachable member, so a log cut
// short or rewritten on the operator's machine no longer matches what the members hold.
import type { Executor } from '../../shell/executor.js';
import type { Inventory } from '../../inventory/resolve.js';
import { sh } from '../../shell/sh.js';
import type { AuditEntry } from './audit.js';

export interface Anchor {
  member: string;
  seq: number;
  hash: string;
}

export const anchorPath = (backupDir: string, runId: string) => `${backupDir}/.lifeboat-audit-${runId}`;
const LINE = /^(\d{1,9}) ([0-9a-f]{64})$/;

/** Writes `SEQ HASH` on every member that answers (temp + mv, so a reader sees the old or the new); returns where. */
export async function writeAnchors(
  inv: Inventory,
  ex: Executor,
  runId: string,
  head: { seq: number; hash: string },
): Promise<string[]> {
  const done = await Promise.all(
    inv.members.map(async (m) => {
      const f = anchorPath(m.backupDir, runId);
      const script = sh.join(
        [
          sh`mkdir -p ${m.backupDir} && printf '%s\\n' ${`${head.seq} ${head.hash}`} >${`${f}.tmp`}`,
          sh`mv ${`${f}.tmp`} ${f}`,
        ],
        ' && ',
      );
      try {
        const r = await ex.exec(m.name, script.text, { timeoutMs: 15_000 });
        return r.exitCode === 0 ? m.name : undefined;
      } catch {
        return undefined; // An unreachable member holds no anchor this time; the others still do.
      }
    }),
  );
  return done.filter((x): x is string => x !== undefined);
}

/** Reads the anchors the members hold for a run; members that cannot be read are listed apart. */
export async function readAnchors(
  inv: Inventory,
  ex: Executor,
  runId: string,
): Promise<{ anchors: Anchor[]; unread: string[] }> {
  const anchors: Anchor[] = [];
  const unread: string[] = [];
  await Promise.all(
    inv.members.map(async (m) => {
      try {
        const r = await ex.exec(m.name, sh`cat ${anchorPath(m.backupDir, runId)} 2>/dev/null || true`.text, {
          timeoutMs: 15_000,
        });
        const hit = LINE.exec(r.stdout.trim());
        if (r.exitCode !== 0) unread.push(m.name);
        else if (hit) anchors.push({ member: m.name, seq: Number(hit[1]), hash: hit[2]! });
      } catch {
        unread.push(m.name);
      }
    }),
  );
  const order = (n: string) => inv.members.findIndex((m) => m.name === n);
  anchors.sort((x, y) => order(x.member) - order(y.member));
  unread.sort((x, y) => order(x) - order(y));
  return { anchors, unread };
}

/** Problems of the log against the anchors: an anchored entry missing (cut) or different (rewritten). */
export function checkAnchors(entries: AuditEntry[], anchors: Anchor[]): string[] {
  const out: string[] = [];
  for (const a of anchors) {
    const e = entries[a.seq - 1];
    if (!e)
      out.push(
        `the log is shorter than its anchor on ${a.member} (anchored at entry ${a.seq}, the log has ${entries.length})`,
      );
    else if (e.hash !== a.hash)
      out.push(`entry ${a.seq} is not the one anchored on ${a.member} (the log was rewritten)`);
  }
  return out;
}

/** The newest entry the members vouch for: approvals after it are not believed on resume. */
export const anchoredSeq = (anchors: Anchor[]) => Math.max(0, ...anchors.map((a) => a.seq));

export interface Anchored {
  seq: number;
  hash: string;
  on: string[];
}

/** The anchor writer of one run: a member that failed once is left out afterwards (no connect timeout per step). */
export function anchorWriter(
  inv: Inventory,
  ex: Executor,
  runId: string,
  reachable: (name: string) => boolean,
) {
  const skip = new Set(inv.members.filter((m) => !reachable(m.name)).map((m) => m.name));
  let last: Anchored | undefined;
  return {
    async write(head: { seq: number; hash: string }): Promise<void> {
      const members = inv.members.filter((m) => !skip.has(m.name));
      const on = await writeAnchors({ ...inv, members }, ex, runId, head);
      for (const m of members) if (!on.includes(m.name)) skip.add(m.name);
      last = { ...head, on };
    },
    get last(): Anchored | undefined {
      return last;
    },
  };
}
