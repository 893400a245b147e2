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
  sync: { summary: 'Run one incremental-sync pass of a route (Dataverse change tracking → changes queue)', load: () => import('./sync') },
  settings: { summary: 'settings check: validate every app setting and the routes file', load: () => import('./settings') },
  failures: { summary: 'failures list | replay: the changes the worker could not apply', load: () => import('./failures') },
  circuits: {
    summary: 'circuits list | close ROUTE: routes stopped by a systemic error (privilege, credential, key, column)',
    load: () => import('./circuits'),
  },
  deadletters: { summary: 'deadletters list | resubmit --queue Q: dead-lettered messages', load: () => import('./deadletters') },
  import: { summary: 'Load a JSON Lines or CSV file through the write engine, resumable', load: () => import('./import') },
  demo: { summary: 'Demo against a running npm start: rows written in source arrive in target', load: () => import('./demo') },
};
