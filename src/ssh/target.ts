// Where and how to reach a member: inventory values, then ~/.ssh/config, then defaults.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ResolvedMember } from '../inventory/resolve.js';
import { expandPath, parseHop, resolveHostConfig, type SshConfigBlock } from './config.js';
import { knownHostsName } from './knownhosts.js';

/** One SSH endpoint: the member itself or a jump host in front of it. */
export interface Hop {
  /** The name as written (inventory address or jump spec host), used for config lookups. */
  alias: string;
  host: string;
  port: number;
  user: string;
  /** Absolute paths, tried in order. */
  identityFiles: string[];
  /** True when the inventory named the identity file: a missing or unusable file is then an error. */
  identityExplicit: boolean;
  knownHostsFile: string;
}

export interface Target {
  member: string;
  hop: Hop;
  /** Jump hosts, outermost first. */
  jumps: Hop[];
  sudo: boolean;
}

export interface TargetDefaults {
  baseDir: string;
  knownHostsFile: string | undefined;
}

/** A readable `user@host:port` for messages. */
export function hopLabel(h: Hop): string {
  return `${h.user}@${knownHostsName(h.host, h.port)}`;
}

function absolute(p: string, base: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

export function resolveTarget(
  m: ResolvedMember,
  blocks: readonly SshConfigBlock[],
  d: TargetDefaults,
): Target {
  const cfg = resolveHostConfig(blocks, m.address);
  const host = cfg.hostName ?? m.address;
  // ResolvedMember fills user root / port 22 by default, so only a non-default value proves the inventory set it.
  const user = m.ssh.user !== 'root' ? m.ssh.user : (cfg.user ?? 'root');
  const port = m.ssh.port !== 22 ? m.ssh.port : (cfg.port ?? 22);
  const ctx = (h: string, u: string, p: number, alias: string) => ({ host: h, user: u, port: p, alias });
  const identityFiles =
    m.ssh.identityFile !== undefined
      ? [absolute(expandPath(m.ssh.identityFile, ctx(host, user, port, m.address)), d.baseDir)]
      : cfg.identityFiles.map((f) => absolute(expandPath(f, ctx(host, user, port, m.address)), homedir()));
  const knownHostsFile =
    m.ssh.knownHosts !== undefined
      ? absolute(expandPath(m.ssh.knownHosts, ctx(host, user, port, m.address)), d.baseDir)
      : (d.knownHostsFile ??
        (cfg.userKnownHostsFile !== undefined
          ? absolute(expandPath(cfg.userKnownHostsFile, ctx(host, user, port, m.address)), homedir())
          : join(homedir(), '.ssh', 'known_hosts')));
  const hop: Hop = {
    alias: m.address,
    host,
    port,
    user,
    identityFiles,
    identityExplicit: m.ssh.identityFile !== undefined,
    knownHostsFile,
  };
  const specs = m.ssh.jump !== undefined ? [m.ssh.jump] : cfg.proxyJump;
  const jumps = specs.map((spec): Hop => {
    const p = parseHop(spec);
    const jc = resolveHostConfig(blocks, p.host);
    const jhost = jc.hostName ?? p.host;
    const juser = p.user ?? jc.user ?? user;
    const jport = p.port ?? jc.port ?? 22;
    const own = jc.identityFiles.map((f) =>
      absolute(expandPath(f, ctx(jhost, juser, jport, p.host)), homedir()),
    );
    // The jump host tries keys its own config names first, then the member's (a `Host *` default must not hide it).
    return {
      alias: p.host,
      host: jhost,
      port: jport,
      user: juser,
      identityFiles: [...new Set([...own, ...identityFiles])],
      identityExplicit: hop.identityExplicit,
      knownHostsFile,
    };
  });
  return { member: m.name, hop, jumps, sudo: m.ssh.sudo };
}
