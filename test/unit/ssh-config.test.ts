import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHop, parseSshConfig, resolveHostConfig } from '../../src/ssh/config.js';
import type { ResolvedMember } from '../../src/inventory/resolve.js';
import { resolveTarget } from '../../src/ssh/target.js';

const CONFIG = `
# global defaults before any Host apply everywhere
ServerAliveInterval 10

Host etcd-? !etcd-9
  HostName 10.0.0.%h
  User admin
  Port 2222
  IdentityFile ~/.ssh/etcd_key
  ProxyJump bastion

Host bastion
  HostName bastion.example.com
  User jumper
  IdentityFile=/keys/bastion

Match host etcd-1
  User never

Host *
  User fallback
  Port 22
  IdentityFile ~/.ssh/id_default
  UserKnownHostsFile "~/.ssh/known hosts" ~/.ssh/known_hosts2
`;

describe('ssh config', () => {
  const blocks = parseSshConfig(CONFIG);

  it('first value wins, IdentityFile accumulates, Match blocks never apply', () => {
    const c = resolveHostConfig(blocks, 'etcd-1');
    expect(c.hostName).toBe('10.0.0.etcd-1');
    expect(c.user).toBe('admin');
    expect(c.port).toBe(2222);
    expect(c.identityFiles).toEqual(['~/.ssh/etcd_key', '~/.ssh/id_default']);
    expect(c.proxyJump).toEqual(['bastion']);
    expect(c.userKnownHostsFile).toBe('~/.ssh/known hosts');
  });

  it('honours negated patterns and Key=Value', () => {
    const c = resolveHostConfig(blocks, 'etcd-9');
    expect(c.user).toBe('fallback');
    expect(c.proxyJump).toEqual([]);
    const b = resolveHostConfig(blocks, 'bastion');
    expect(b.identityFiles[0]).toBe('/keys/bastion');
  });

  it('parses hops', () => {
    expect(parseHop('ops@jump.example:2200')).toEqual({ user: 'ops', host: 'jump.example', port: 2200 });
    expect(parseHop('jump')).toEqual({ host: 'jump' });
    expect(parseHop('[fe80::1]:22')).toEqual({ host: 'fe80::1', port: 22 });
  });

  const member = (ssh: Partial<ResolvedMember['ssh']>, address = 'etcd-1'): ResolvedMember => ({
    name: 'm1',
    address,
    peerURL: '',
    clientURL: '',
    ssh: { user: 'root', port: 22, sudo: false, ...ssh },
    dataDir: '',
    manifest: '',
    apiserverManifest: '',
    config: '',
    backupDir: '',
    tls: { ca: '', cert: '', key: '' },
    tools: {},
  });

  it('resolves a member: config fills defaults, inventory values win, relative paths use the inventory folder', () => {
    const t = resolveTarget(member({}), blocks, { baseDir: '/inv', knownHostsFile: undefined });
    expect(t.hop).toMatchObject({ host: '10.0.0.etcd-1', user: 'admin', port: 2222 });
    expect(t.hop.identityFiles).toEqual([
      join(homedir(), '.ssh/etcd_key'),
      join(homedir(), '.ssh/id_default'),
    ]);
    expect(t.hop.knownHostsFile).toBe(join(homedir(), '.ssh/known hosts'));
    expect(t.jumps).toHaveLength(1);
    expect(t.jumps[0]).toMatchObject({
      host: 'bastion.example.com',
      user: 'jumper',
      port: 22,
      identityFiles: ['/keys/bastion', join(homedir(), '.ssh/id_default'), join(homedir(), '.ssh/etcd_key')],
    });

    const u = resolveTarget(
      member({ user: 'ops', port: 2200, identityFile: 'keys/id', knownHosts: 'kh', jump: 'j@10.9.9.9:2022' }),
      blocks,
      {
        baseDir: '/inv',
        knownHostsFile: '/opt/kh',
      },
    );
    expect(u.hop).toMatchObject({
      user: 'ops',
      port: 2200,
      identityFiles: ['/inv/keys/id'],
      knownHostsFile: '/inv/kh',
      identityExplicit: true,
    });
    // The jump host tries its config's keys, then the member's.
    expect(u.jumps).toEqual([
      expect.objectContaining({
        host: '10.9.9.9',
        user: 'j',
        port: 2022,
        identityFiles: [join(homedir(), '.ssh/id_default'), '/inv/keys/id'],
        knownHostsFile: '/inv/kh',
      }),
    ]);

    const v = resolveTarget(member({}, '192.168.1.1'), [], { baseDir: '/inv', knownHostsFile: '/opt/kh' });
    expect(v.hop).toMatchObject({
      host: '192.168.1.1',
      user: 'root',
      port: 22,
      identityFiles: [],
      knownHostsFile: '/opt/kh',
    });
  });
});
