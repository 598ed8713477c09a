// --seed-data: placeholder until the seeder lands.
import type { Lab } from './types.js';
export async function seedLab(_lab: Lab): Promise<number> {
  return 0;
}
