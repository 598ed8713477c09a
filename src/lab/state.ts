// Reads and writes the lab's state file (lab.json); a missing or unreadable one is a clear input error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { badInput } from '../errors/error.js';
import { DEFAULT_DIR, labFile } from './paths.js';
import type { Lab } from './types.js';

export const labDirOf = (dir?: string) => resolve(dir ?? DEFAULT_DIR);

export function readLab(dir?: string): Lab {
  const d = labDirOf(dir);
  if (!existsSync(labFile(d)))
    throw badInput(`lab: no lab in ${d}`, "bring one up with 'lifeboat lab up' or pass --dir");
  try {
    return JSON.parse(readFileSync(labFile(d), 'utf8')) as Lab;
  } catch (err) {
    throw badInput(
      `lab: ${labFile(d)} is unreadable: ${(err as Error).message}`,
      'remove the folder and bring a new lab up',
    );
  }
}

export function writeLab(lab: Lab): void {
  writeFileSync(labFile(lab.dir), JSON.stringify(lab, null, 2) + '\n');
}

/** Accepts a Lab or its folder. */
export function asLab(lab: Lab | string): Lab {
  return typeof lab === 'string' ? readLab(lab) : lab;
}

export function member(lab: Lab, name: string) {
  const m = lab.members.find((x) => x.name === name);
  if (!m)
    throw badInput(
      `lab: no member '${name}' in this lab`,
      `members are ${lab.members.map((x) => x.name).join(', ')}`,
    );
  return m;
}
