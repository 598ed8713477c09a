// The one command table: each command lives in its own folder and is imported only when used.
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'lab', summary: 'local DR lab: up, status, break, exec, down', load: () => import('./lab/index.js') },
];
