// One line of plain text per event, shared by the plain renderer and the TTY renderer's log.
import type { LeftBehind, RunEvent } from '../engine/events.js';

const firstLine = (s: string) => s.split('\n')[0] ?? '';

/** What an abort left behind, host by host, each with the commands that undo it (indented under it). */
export function leftLines(items: LeftBehind[]): string[] {
  if (items.length === 0) return ['the aborted run left nothing stopped or changed on any host'];
  return [
    'left behind by the aborted run (nothing more runs it; undo by hand where needed):',
    ...items.flatMap((l) => [
      `  ${l.member}: ${l.what} (${l.stateId})`,
      ...(l.undo.length
        ? [`    undo on ${l.member}:`, ...l.undo.flatMap((c) => c.split('\n').map((x) => `      ${x}`))]
        : ['    undo: by hand; files it replaced are kept aside with a timestamp, never deleted']),
    ]),
  ];
}

export function formatEvent(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run.start':
      return (
        `run ${e.runId}: ${e.runbook} on ${e.cluster} by ${e.operator.user}` +
        `${e.operator.sudoUser ? ` (sudo by ${e.operator.sudoUser})` : ''}`
      );
    case 'run.resume':
      return `resumed by ${e.by} (from ${e.from})${e.acceptedChangedRunbook ? ' — runbook changed, accepted' : ''}`;
    case 'facts':
      return Object.entries(e.summary)
        .map(([m, s]) => `facts ${m}: ${s}`)
        .join('\n');
    case 'diagnosis':
      return `diagnose ${e.when} the run: ${e.verdict}`;
    case 'warning':
      return `WARNING ${e.message}`;
    case 'hostkey.accepted':
      return `host key of ${e.member} accepted and recorded: ${e.fingerprint}`;
    case 'lock':
      return `lock ${e.action} at ${e.where} (${e.holder})`;
    case 'transition':
      return undefined;
    case 'decision':
      return `decide ${e.stateId}: ${e.branch} — ${e.why}`;
    case 'step.start':
      return `▶ ${e.stateId}: ${e.title}${e.hosts.length ? ` [${e.hosts.join(', ')}]` : ''}`;
    case 'approval':
      return `  approved ${e.stateId} by ${e.by} (${e.how})`;
    case 'approval.missing':
      return `■ stopped before ${e.stateId}: ${e.hint}`;
    case 'approval.asked':
      return undefined;
    case 'abort':
      return `■ aborted before ${e.stateId} by ${e.by}: nothing more runs; the run cannot be resumed`;
    case 'left':
      return leftLines(e.items).join('\n');
    case 'interrupt':
      return `■ interrupted by ${e.signal}${e.stateId ? ` during ${e.stateId}` : ''}: recorded; the run can be resumed`;
    case 'host.check':
      return (
        `  ${e.member}: already-done check ` +
        `${e.alreadyDone ? 'passed, skipping' : `did not pass (exit ${e.exitCode}), running`}`
      );
    case 'cmd.start':
      return (
        `  ${e.member}$ ${firstLine(e.command)}${e.command.includes('\n') ? ' …' : ''}` +
        `${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`
      );
    case 'cmd.end':
      return e.exitCode === 0
        ? undefined
        : `  ${e.member}: exit ${e.exitCode ?? e.signal ?? '?'}${e.timedOut ? ' (timed out)' : ''}: ` +
            `${firstLine(e.tail.split('\n').slice(-1)[0] ?? '')}`;
    case 'verify':
      return `  ${e.member}: verify ${e.ok ? 'ok' : 'FAILED'} after ${e.attempts} attempt(s)`;
    case 'capture':
      return undefined;
    case 'host.end':
      return e.status === 'done' ? undefined : `  ${e.member}: ${e.status}`;
    case 'retry':
      return `  retry ${e.stateId} (${e.by})`;
    case 'skip':
      return `  skipped ${e.stateId} by ${e.by}`;
    case 'step.end':
      return (
        `${e.status === 'done' ? '✔' : e.status === 'skipped' ? '↷' : '✖'} ${e.stateId} ${e.status} ` +
        `in ${(e.durationMs / 1000).toFixed(1)}s${e.error ? `: ${e.error}` : ''}`
      );
    case 'run.end':
      return `run ${e.status}${e.message ? `: ${e.message}` : ''}`;
  }
}
