// `lifeboat lab ...` — placeholder until the lab lands.
import { usage } from '../../core/errors.js';
export async function run(_argv: string[]): Promise<number> {
  throw usage('lab: not implemented yet');
}
