// Lab tests run the built CLI (dist/): build it first when a source is newer, so a lab test never runs stale code.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('bash', ['scripts/setup.sh'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
