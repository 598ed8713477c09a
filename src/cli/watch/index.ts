// `lifeboat watch RUN_DIR [--serve [HOST:]PORT]`: where a run stands, live, read from the run dir alone.
import { existsSync } from 'node:fs';
import { parse } from '../args.js';
import { usage } from '../../errors/error.js';
import { parseServe as parseServeAs, SERVE_NOTE, serveRunDir } from '../../live/serve-run.js';
import { EXIT } from '../../errors/exit.js';
import { readAudit } from '../../engine/record/audit.js';
import { compile } from '../../engine/machine.js';
import { loadRunbook } from '../../engine/registry.js';
import { readRunRecord, runFiles } from '../../engine/record/rundir.js';
import { liveState, type LiveState } from '../../live/state.js';
import { safeText } from '../../render/safe-text.js';

const HELP = `Usage: lifeboat watch RUN_DIR [--serve [HOST:]PORT]
  Without --serve: redraws where the run stands in this terminal (Ctrl-C to leave; the run is not affected).
  With --serve: a read-only live page on HOST (default 127.0.0.1); the URL with its access token is printed once.`;

export const parseServe = (v: string) => parseServeAs('watch', v);

/** What `watch` draws in a terminal: the run, the step, the waiting banner (an open confirmation too), the hosts. */
export function terminalLines(s: LiveState): string[] {
  const out = [
    `${s.runbook} · run ${s.runId} · ${s.status}${s.lastAt ? ` · last entry ${s.lastAt}` : ''}`,
    s.current
      ? `Phase ${s.current.phase} · step ${s.current.n} of ${s.current.of}: ${s.current.stateId} ${s.current.title}`
      : 'not started',
  ];
  if (s.waiting) out.push(`■ WAITING FOR APPROVAL before ${s.waiting.stateId}: ${s.waiting.hint}`);
  for (const [h, v] of Object.entries(s.hosts)) out.push(`  ${h.padEnd(12)} ${v.step}  ${v.state}`);
  // Names and hints come from the run dir: shown with control characters escaped, never as terminal escapes.
  return out.map(safeText);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('watch', argv, { serve: { type: 'string' } });
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const dir = positionals[0];
  if (!dir) throw usage('watch: which run dir?', 'give the directory printed by lifeboat run');
  const serve = values.serve === undefined ? undefined : parseServe(values.serve);
  const record = readRunRecord(dir);
  const { def } = await loadRunbook(record.runbook);
  const compiled = compile(def);
  const auditPath = runFiles(dir).audit;
  const state = () => liveState(existsSync(auditPath) ? readAudit(auditPath) : [], record.plan, compiled);
  // A torn or malformed entry: say so and keep watching (the next redraw may read it whole).
  const lines = () => {
    try {
      return terminalLines(state());
    } catch (err) {
      return [safeText(`cannot read ${auditPath} yet: ${(err as Error).message.split('\n')[0]}`)];
    }
  };
  if (serve) {
    const srv = await serveRunDir(dir, serve);
    process.stdout.write(`${SERVE_NOTE}: ${srv.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await srv.close();
    return EXIT.ok;
  }
  let shown = '';
  const draw = () => {
    const text = lines().join('\n');
    if (text === shown) return;
    shown = text;
    process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
  };
  draw();
  const timer = setInterval(draw, 500);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  return EXIT.ok;
}
