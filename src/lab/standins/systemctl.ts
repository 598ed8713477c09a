// systemctl stand-in: sends its arguments to the host's systemd stand-in and prints the answer with its exit code.
import { connect } from 'node:net';

const args = process.argv.slice(2);
let socketPath = '/run/systemd/lifeboat.sock';
if (args[0] === '--socket') {
  socketPath = args[1] ?? socketPath;
  args.splice(0, 2);
}
const sock = connect(socketPath);
let buf = '';
sock.on('connect', () => sock.write(JSON.stringify(args) + '\n'));
sock.on('data', (d) => (buf += d.toString()));
sock.on('end', () => {
  const r = JSON.parse(buf) as { code: number; stdout: string; stderr: string };
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
});
sock.on('error', () => {
  process.stderr.write(
    "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to " +
      'connect to bus: Host is down\n',
  );
  process.exitCode = 1;
});
