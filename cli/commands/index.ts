/** The command table. Add a command by adding a file in this folder and one line here. */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}
export interface CommandEntry {
  summary: string;
  load(): Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  emulator: { summary: 'Start one local emulator: servicebus | dataverse | azurite', load: () => import('./emulator') },
};
