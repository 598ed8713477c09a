// Case 6a: CLI start. Wall time of `lifeboat --help` (goal < 300 ms) and of `lifeboat runbooks`, next to a bare
// `node -e ''` (the floor no JavaScript CLI can go under); the single executable (release/, `npm run release`) too
// when it was built. Case 6b, time from process start to the first SSH
// command of a run, is measured by bench/restore.mjs from the audit log of its runs.
//
//   node bench/cli-start.mjs [--runs 15]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LIFEBOAT, ROOT, fmtMs, median, must, record, runMain } from './lib/common.mjs';

const SEA = `${ROOT}/release/lifeboat-linux-x64`;

const { values: v } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Math.min(Math.max(Number(v.runs), 3), 100);

await runMain(async () => {
  const node = process.execPath;
  const cases = [
    ["node -e '' (floor)", node, ['-e', '']],
    ['lifeboat --help', node, [LIFEBOAT, '--help']],
    ['lifeboat runbooks', node, [LIFEBOAT, 'runbooks']],
    ...(existsSync(SEA)
      ? [
          ['single file --help', SEA, ['--help']],
          ['single file runbooks', SEA, ['runbooks']],
        ]
      : []),
  ];
  const out = {};
  for (const [label, cmd, args] of cases) {
    await must(cmd, args); // warm the file cache
    const ms = [];
    for (let i = 0; i < runs; i++) ms.push((await must(cmd, args)).ms);
    out[label] = median(ms);
    console.log(
      `${label.padEnd(24)} ${fmtMs(out[label]).padStart(7)}   (min ${fmtMs(Math.min(...ms))}, max ${fmtMs(Math.max(...ms))}; ${runs} runs)`,
    );
  }
  const help = out['lifeboat --help'];
  console.log(
    `--help goal < 300 ms: ${help < 300 ? 'met' : 'MISSED'}; over bare node: ${fmtMs(help - out["node -e '' (floor)"])}`,
  );
  record({
    case: 'cli',
    helpMs: help,
    runbooksMs: out['lifeboat runbooks'],
    nodeMs: out["node -e '' (floor)"],
    ...(existsSync(SEA)
      ? { seaHelpMs: out['single file --help'], seaRunbooksMs: out['single file runbooks'] }
      : {}),
  });
});
