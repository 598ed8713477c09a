// Text from elsewhere (a remote host, a snapshot, a bucket, an audit log) made safe to print on a terminal: control
// characters (escape sequences, carriage returns, bells, C1 codes, bidi overrides) shown escaped, never sent raw.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const show = (ch: string) => {
  const c = ch.charCodeAt(0);
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
};

/** One field of a line: every control character escaped, tab and newline too (one field never breaks a line). */
export const safeText = (s: string) => s.replace(CONTROL, show).replace(/\t/g, '\\t').replace(/\n/g, '\\n');

/** Multi-line text: control characters escaped, newlines and tabs kept. */
export const safeLines = (s: string) => s.replace(CONTROL, show);
