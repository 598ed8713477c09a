// `lifeboat plan RUNBOOK -i INVENTORY`: the dry run — every command per host, in order; changes nothing.
import { oneOf, parse, parseSets } from '../args.js';
import { usage } from '../../errors/error.js';
import { EXIT } from '../../errors/exit.js';
import { Redactor, redactDeep } from '../../secrets/redact.js';
import { loadInventory } from '../../inventory/load.js';
import { gatherFacts, requireReachable } from '../../etcd/probe.js';
import { localSnapshot, makePlan } from '../../session/inputs.js';
import { planText } from '../../documents/plan.js';
import { SshExecutor } from '../../ssh/index.js';

const HELP =
  `Usage: lifeboat plan RUNBOOK -i INVENTORY [--set KEY=VALUE ...] [--probe] [--output ` +
  `text|json] [--accept-new-host-keys]

Resolves every step to the exact commands per host and marks destructive ones. Changes nothing.
--probe also reads (only reads) each host to detect tools, versions, the etcd user and raft state.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('plan', argv, {
    inventory: { type: 'string', short: 'i' },
    set: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
    probe: { type: 'boolean' },
    'accept-new-host-keys': { type: 'boolean' },
  });
  if (values.help) return (void process.stdout.write(HELP + '\n'), EXIT.ok);
  const runbook = positionals[0];
  if (!runbook) throw usage('plan: which runbook?', "run 'lifeboat runbooks' for the list");
  if (!values.inventory) throw usage('plan: -i INVENTORY is required', 'give the inventory file with -i');
  const output = oneOf('plan', 'output', values.output, ['text', 'json'] as const, 'text');
  const inv = loadInventory(values.inventory);
  const { prepareParams } = await import('../../backup/params.js');
  const params = await prepareParams(runbook, localSnapshot(parseSets('plan', values.set), inv), inv);
  let facts;
  if (values.probe) {
    const ex = new SshExecutor(inv, { acceptNewHostKeys: values['accept-new-host-keys'] === true });
    try {
      facts = await gatherFacts(inv, ex, new Date());
      requireReachable(inv, facts);
    } finally {
      await ex.close();
    }
  }
  const made = await makePlan(
    { runbook, inventoryPath: values.inventory, params, ...(facts ? { facts } : {}) },
    new Date(),
  );
  const redactor = new Redactor();
  if (output === 'json')
    process.stdout.write(
      JSON.stringify(redactDeep({ ...made.plan, facts: facts ?? null }, redactor), null, 2) + '\n',
    );
  else process.stdout.write(planText(made.plan, (s) => redactor.redact(s)) + '\n');
  return made.plan.outcome === 'refused' ? EXIT.badInput : EXIT.ok;
}
