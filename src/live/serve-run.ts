// The live page of one run dir, served by `watch --serve` and by `run`/`resume --serve` alike.
import { existsSync } from 'node:fs';
import { usage } from '../errors/error.js';
import { readAudit } from '../engine/record/audit.js';
import { compile } from '../engine/machine.js';
import { loadRunbook } from '../engine/registry.js';
import { readRunRecord, runFiles } from '../engine/record/rundir.js';
import type { LiveServer } from './server.js';
import { liveState } from './state.js';

export function parseServe(cmd: string, v: string): { host: string; port: number } {
  const m = /^(?:\[?([0-9a-fA-F:.]+|localhost)\]?:)?(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535)
    throw usage(
      `${cmd}: --serve '${v}' is not [HOST:]PORT`,
      'give e.g. --serve 127.0.0.1:8080 (0 picks a free port)',
    );
  return { host: m[1] ?? '127.0.0.1', port };
}

export const SERVE_NOTE = 'live page (read-only; share the URL only with who may see this run)';

/** Serves the run dir's live page; a port that cannot be bound is bad input (exit 2), said in one line. */
export async function serveRunDir(
  dir: string,
  at: { host: string; port: number },
  onStop: (why: string) => void = (why) => process.stderr.write(`WARNING live page stopped: ${why}\n`),
): Promise<LiveServer> {
  // The page (with its diagram layout) and the server load only when served: run and resume start faster without.
  const [{ liveFragment, livePage }, { serveLive, isLoopback }] = await Promise.all([
    import('./page.js'),
    import('./server.js'),
  ]);
  const record = readRunRecord(dir);
  const compiled = compile((await loadRunbook(record.runbook)).def);
  const auditPath = runFiles(dir).audit;
  const render = () => {
    const entries = existsSync(auditPath) ? readAudit(auditPath) : [];
    return liveFragment(liveState(entries, record.plan, compiled), entries, compiled);
  };
  if (!isLoopback(at.host))
    process.stderr.write(
      `WARNING --serve ${at.host}: the live page listens beyond this machine; ` +
        'anyone who can reach it and learns the URL sees the run\n',
    );
  try {
    return await serveLive({ runDir: dir, auditPath, render }, at.host, at.port, livePage, onStop);
  } catch (err) {
    throw usage(
      `--serve ${at.host}:${at.port}: cannot listen there ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'choose another port (0 picks a free one)',
    );
  }
}
