// systemd unit files as systemd reads them: unit search path, drop-ins, EnvironmentFile, ExecStart word
// splitting and $VAR expansion.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const UNIT_PATH = ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system'];

export interface Unit {
  name: string;
  file: string;
  dropIns: string[];
  description: string;
  type: string;
  user: string | null;
  workingDirectory: string | null;
  environment: Record<string, string>;
  environmentFiles: Array<{ path: string; optional: boolean }>;
  execStart: string | null;
  /** sha256 over the unit and its drop-ins, to tell when a daemon-reload is due. */
  hash: string;
}

export function unitName(arg: string): string {
  return arg.includes('.') ? arg : `${arg}.service`;
}

/** Unit file and drop-ins as systemd finds them now; null when there is no such unit. */
export function findUnitFiles(name: string): { file: string; dropIns: string[] } | null {
  const file = UNIT_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
  if (!file) return null;
  const byName = new Map<string, string>();
  for (const d of [...UNIT_PATH].reverse()) {
    const dir = join(d, `${name}.d`);
    let entries: string[] = [];
    try {
      entries = readdirSync(dir).filter((f) => f.endsWith('.conf'));
    } catch {
      continue;
    }
    for (const f of entries) byName.set(f, join(dir, f)); // a later (higher-priority) folder wins for the same name
  }
  const dropIns = [...byName.keys()].sort().map((k) => byName.get(k)!);
  return { file, dropIns };
}

export function hashFiles(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    try {
      h.update(readFileSync(f));
    } catch {
      h.update('(missing)');
    }
  }
  return h.digest('hex');
}

/** Splits an Environment= value into assignments (quotes group, as systemd does). */
function envAssignments(value: string): Array<[string, string]> {
  return splitWords(value, {}).flatMap((w) => {
    const i = w.indexOf('=');
    return i > 0 ? [[w.slice(0, i), w.slice(i + 1)] as [string, string]] : [];
  });
}

export function loadUnit(name: string): Unit | null {
  const found = findUnitFiles(name);
  if (!found) return null;
  const unit: Unit = {
    name,
    file: found.file,
    dropIns: found.dropIns,
    description: name,
    type: 'simple',
    user: null,
    workingDirectory: null,
    environment: {},
    environmentFiles: [],
    execStart: null,
    hash: hashFiles([found.file, ...found.dropIns]),
  };
  for (const f of [found.file, ...found.dropIns]) {
    let section = '';
    const raw = readFileSync(f, 'utf8').replace(/\\\n/g, ' ');
    for (const line0 of raw.split('\n')) {
      const line = line0.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      const i = line.indexOf('=');
      if (i < 0) continue;
      const key = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (section === 'Unit' && key === 'Description') unit.description = value;
      if (section !== 'Service') continue;
      if (key === 'Type') unit.type = value;
      else if (key === 'User') unit.user = value || null;
      else if (key === 'WorkingDirectory') unit.workingDirectory = value || null;
      else if (key === 'Environment') {
        if (!value) unit.environment = {};
        for (const [k, v] of envAssignments(value)) unit.environment[k] = v;
      } else if (key === 'EnvironmentFile') {
        if (!value) unit.environmentFiles = [];
        else unit.environmentFiles.push({ path: value.replace(/^-/, ''), optional: value.startsWith('-') });
      } else if (key === 'ExecStart') unit.execStart = value ? value : null; // an empty ExecStart= resets the list
    }
  }
  return unit;
}

/** KEY=VALUE lines of an EnvironmentFile; quotes around values are removed. */
export function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line0 of readFileSync(path, 'utf8').replace(/\\\n/g, '').split('\n')) {
    const line = line0.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const i = line.indexOf('=');
    if (i <= 0) continue;
    let v = line.slice(i + 1).trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[line.slice(0, i).trim()] = v;
  }
  return out;
}

/**
 * systemd's command line rules: whitespace-separated words, quotes, backslash escapes, ${VAR} in place,
 * a lone $VAR split into words.
 */
export function splitWords(cmd: string, env: Record<string, string>): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    while (i < cmd.length && /\s/.test(cmd[i]!)) i++;
    if (i >= cmd.length) break;
    const lone = /^\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/.exec(cmd.slice(i));
    if (lone) {
      words.push(...(env[lone[1]!] ?? '').split(/\s+/).filter(Boolean));
      i += lone[0].length;
      continue;
    }
    let w = '';
    let quote: string | null = null;
    while (i < cmd.length) {
      const ch = cmd[i]!;
      if (!quote && /\s/.test(ch)) break;
      if (ch === '\\' && i + 1 < cmd.length) {
        const n = cmd[i + 1]!;
        w += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
        continue;
      }
      if (quote && ch === quote) {
        quote = null;
        i++;
        continue;
      }
      if (!quote && (ch === '"' || ch === "'")) {
        quote = ch;
        i++;
        continue;
      }
      if (ch === '$' && quote !== "'") {
        if (cmd[i + 1] === '$') {
          w += '$';
          i += 2;
          continue;
        }
        const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}|^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(cmd.slice(i));
        if (m) {
          w += env[m[1] ?? m[2]!] ?? '';
          i += m[0].length;
          continue;
        }
      }
      w += ch;
      i++;
    }
    words.push(w);
  }
  return words;
}

/** ExecStart without its special prefixes (-, @, +, !). */
export function execArgv(execStart: string, env: Record<string, string>): string[] {
  return splitWords(execStart.replace(/^[-@+!:]+/, ''), env);
}

export const short = (f: string) => basename(f);
