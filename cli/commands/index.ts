/** The command table. Add a command by adding a file in this folder and one line here. */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}
export interface CommandEntry {
  summary: string;
  load(): Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  expr: { summary: 'Evaluate a Power Automate expression / trigger condition', load: () => import('./expr') },
  start: { summary: 'Start the local stack: Azurite, Service Bus and Dataverse emulators, Functions host', load: () => import('./start') },
  emulator: { summary: 'Start one local emulator: servicebus | dataverse | azurite', load: () => import('./emulator') },
  import: { summary: 'Load a JSON Lines or CSV file through the write engine, resumable', load: () => import('./import') },
  demo: { summary: 'Demo against a running npm start: rows written in source arrive in target', load: () => import('./demo') },
};
