// inetd for the lab's jump mode: listens in the network namespace it was started in and runs one `sshd -i` per
// connection in another network namespace (`nsenter --net=PATH`). So a member's sshd answers only inside the lab's
// private network (reachable through the bastion) while its sessions still run in the machine's network, where etcd is.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const dd = process.argv.indexOf('--');
const { values: opt } = parseArgs({
  args: process.argv.slice(2, dd < 0 ? undefined : dd),
  options: { listen: { type: 'string' }, net: { type: 'string' }, log: { type: 'string' } },
});
const cmd = dd < 0 ? [] : process.argv.slice(dd + 1);
const [host, port] = (opt.listen ?? '').split(':');
if (!host || !port || !opt.net || cmd.length === 0) {
  process.stderr.write('usage: inetd --listen ADDR:PORT --net NETNS_PATH [--log FILE] -- COMMAND...\n');
  process.exit(2);
}
const logFd = opt.log ? openSync(opt.log, 'a') : 'ignore';
const server = createServer({ pauseOnConnect: true }, (sock) => {
  // The socket's own fd becomes the child's stdin and stdout, as inetd hands it to `sshd -i`.
  const child = spawn('nsenter', [`--net=${opt.net}`, '--', ...cmd], {
    stdio: [sock, sock, logFd],
    detached: false,
  });
  child.on('error', () => sock.destroy());
  child.on('exit', () => sock.destroy());
});
server.on('error', (err) => {
  process.stderr.write(`inetd: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host);
process.on('SIGTERM', () => process.exit(0));
