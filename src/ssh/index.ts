// Public surface of the SSH executor.
export { SshExecutor, type SshExecutorOptions, type ProbeResult } from './executor.js';
export { wrapCommand } from './quote.js';
export { fingerprint, parseKnownHosts, checkHostKey, hashHostName, knownHostsName } from './knownhosts.js';
export { parseSshConfig, resolveHostConfig } from './config.js';
