// Access modes of the lab: a non-root operator with passwordless sudo, and a bastion (jump host) in
// front of a private network.
//
// jump: the bastion host runs in its own network namespace (the lab's "private network"); the members' sshd answer only
// there (an inetd stand-in listening inside that namespace runs `sshd -i` back in the machine's
// network, where etcd is),
// and the bastion's sshd answers on 127.0.N.10:22 of the machine's network the same way. A direct connection to a
// member's port 22 is refused because nothing listens there; only the bastion's `direct-tcpip` forwarding reaches it.
import { sh, type Script } from '../shell/sh.js';
import type { LabAccess, LabMember } from './types.js';

/** The lab's non-root operator account (on every host in sudo mode, and on the bastion). */
export const OPS_USER = 'lbops';
export const OPS_UID = 2917;
export const BASTION = 'bastion';

export function parseAccess(s: string | undefined): LabAccess | undefined {
  if (s === undefined) return undefined;
  const words = s
    .split(/[,+]/)
    .map((w) => w.trim())
    .filter(Boolean);
  const bad = words.filter((w) => !['root', 'sudo', 'jump'].includes(w));
  if (bad.length || words.length === 0) return undefined;
  return { sudo: words.includes('sudo'), jump: words.includes('jump') };
}

export const accessLabel = (a: LabAccess | undefined) =>
  a && (a.sudo || a.jump) ? [a.sudo ? 'sudo' : '', a.jump ? 'jump' : ''].filter(Boolean).join('+') : 'root';

/**
 * Shell for a host's init: the operator account (passwd, group, shadow with `*` so key logins work without PAM),
 * `NOPASSWD: ALL` in /etc/sudoers.d, and the host's name in /etc/hosts (sudo resolves it). Written into the host's
 * /etc layer; where /etc is the machine's (bind fallback), into copies bind-mounted over the files.
 */
export function opsUserScript(
  hostDir: string,
  address: string,
  name: string,
  authorizedKeys: string,
): Script {
  const H = hostDir;
  const copies = sh`${H}/etc-files`;
  const addline = sh.lines(
    sh`addline() { f=$1; shift; if [ "$fsmode" = overlay ]; then printf '%s\\n' "$*" >>"$f"; else`,
    sh`  c=${copies}/$(basename "$f")`,
    sh`  if [ ! -e "$c" ]; then mkdir -p ${copies}; cp -p "$f" "$c"; mount --bind "$c" "$f"; fi`,
    sh`  printf '%s\\n' "$*" >>"$c"; fi; }`,
  );
  const run = `/run/${OPS_USER}`;
  return sh.lines(
    sh`# the lab's operator account: non-root, passwordless sudo (see docs/lab.md, access modes)`,
    sh`fsmode=$(cat ${H}/state/fs-mode)`,
    addline,
    sh`if ! grep -q ${`^${OPS_USER}:`} /etc/passwd; then`,
    sh`  addline /etc/passwd ${`${OPS_USER}:x:${OPS_UID}:${OPS_UID}:lifeboat lab operator:${run}:/bin/sh`}`,
    sh`  addline /etc/group ${`${OPS_USER}:x:${OPS_UID}:`}`,
    sh`  addline /etc/shadow ${`${OPS_USER}:*:20000:0:99999:7:::`}`,
    sh`fi`,
    sh`grep -q ${` ${name}$`} /etc/hosts || addline /etc/hosts ${`${address} ${name}`}`,
    sh`if [ "$fsmode" = overlay ]; then sd=/etc/sudoers.d; else`,
    sh`  sd=${copies}/sudoers.d; mkdir -p $sd; cp -a /etc/sudoers.d/. $sd/; fi`,
    sh`printf '%s\\n' ${`${OPS_USER} ALL=(ALL:ALL) NOPASSWD: ALL`} >$sd/lifeboat-lab && chmod 0440 $sd/lifeboat-lab`,
    sh`[ "$fsmode" = overlay ] || mount --bind $sd /etc/sudoers.d`,
    sh`# sshd reads a user's authorized keys as that user: a copy it can read, in its home`,
    sh`mkdir -p ${run} && install -o ${OPS_UID} -g ${OPS_UID} -m 0600 ${authorizedKeys} ${run}/authorized_keys &&`,
    sh`  chown ${OPS_UID}:${OPS_UID} ${run}`,
    sh``,
  );
}

/** sshd lines for a member: root refused in sudo mode (the operator must go through sudo). */
export function memberSshdExtra(a: LabAccess): string {
  return a.sudo
    ? `PermitRootLogin no\nAllowUsers ${OPS_USER}\nAuthorizedKeysFile /run/%u/authorized_keys\n`
    : '';
}

/** The inetd stand-in command that serves sshd -i for connections made in the current network namespace. */
export function inetdCommand(o: {
  node: string;
  standins: string;
  listen: string;
  execNet: string;
  log: string;
  sshdConfig: string;
}): Script {
  const inetd = sh`${o.node} ${o.standins}/inetd.js --listen ${o.listen} --net ${o.execNet} --log ${o.log}`;
  return sh`${inetd} -- /usr/sbin/sshd -i -e -f ${o.sshdConfig}`;
}

export function bastionSshdConfig(hostDir: string, members: LabMember[]): string {
  return `# sshd of the lab's bastion: the operator account only, by key; forwarding to the members' sshd only.
HostKey ${hostDir}/ssh/ssh_host_ed25519_key
PermitRootLogin no
AllowUsers ${OPS_USER}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /run/%u/authorized_keys
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
AllowTcpForwarding yes
PermitOpen ${members.map((m) => `${m.address}:22`).join(' ')}
MaxSessions 100
`;
}

/** pid 1 of the bastion: own mount, UTS, pid and network namespace; fd 3 is the machine's network namespace. */
export function bastionInit(o: {
  labId: string;
  hostDir: string;
  address: string;
  node: string;
  standins: string;
  path: string;
  authorizedKeys: string;
}): Script {
  const H = o.hostDir;
  const inetd = inetdCommand({
    node: o.node,
    standins: o.standins,
    listen: `${o.address}:22`,
    execNet: '/proc/1/ns/net',
    log: `${H}/log/sshd.log`,
    sshdConfig: `${H}/sshd_config`,
  });
  const tag = `${o.labId}-${BASTION}`;
  const etcDirs = `lowerdir=/etc,upperdir=${H}/root/etc,workdir=${H}/work/etc`;
  return sh`#!/bin/bash
# pid 1 of the lab's bastion (own mount, UTS, pid and network namespaces); lifeboat lab down stops it by pid.
set -eu
export PATH=${o.path} HOME=/root LANG=C.UTF-8
hostname ${BASTION}
mount -t tmpfs -o mode=0755 lifeboat-${tag} /run
mkdir -p /run/sshd
ip link set lo up
if mount -t overlay lbovl-${tag}-etc -o ${etcDirs} /etc 2>/dev/null; then
  echo overlay >${H}/state/fs-mode
else
  echo bind >${H}/state/fs-mode
fi
${opsUserScript(H, o.address, BASTION, o.authorizedKeys)}
cd /
set +e
# Listen in the machine's network (fd 3); each connection gets an sshd -i here, in the private network.
nsenter --net=/proc/self/fd/3 ${inetd} &
echo $! >${H}/state/sshd.pid
exec 3<&-
trap 'kill -TERM -1 2>/dev/null; sleep 1; exit 0' TERM INT
echo up >${H}/state/init.ready
while :; do sleep 3600 & wait $!; done
`;
}
