/** Programmatic entry point: `startDataverseEmulator(options)`. */
import type { AddressInfo } from 'node:net';
import { parseOptions, type EmulatorOptionsInput } from './options';
import { EmulatorRuntime } from './runtime';
import { createServer } from './server';
import type { Environment } from './store/environment';

export interface DataverseEmulator {
  port: number;
  /** Base Web API URL ending in `/api/data/v9.2/`; without a name, the default environment's bare URL. */
  url(envName?: string): string;
  /** Operator base URL, `http://host:port/_emulator/`. */
  operatorUrl: string;
  environments: Map<string, Environment>;
  runtime: EmulatorRuntime;
  close(): Promise<void>;
}

export async function startDataverseEmulator(input: EmulatorOptionsInput = {}): Promise<DataverseEmulator> {
  const options = parseOptions(input, 'startDataverseEmulator');
  const rt = new EmulatorRuntime(options);
  const server = createServer(rt);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  rt.options = { ...rt.options, port };
  const origin = `http://${options.host}:${port}`;
  return {
    port,
    url: (envName?: string) => {
      if (envName !== undefined && !rt.environments.has(envName))
        throw new Error(`No environment "${envName}"; known: ${[...rt.environments.keys()].join(', ')}.`);
      return envName ? `${origin}/${envName}/api/data/v9.2/` : `${origin}/api/data/v9.2/`;
    },
    operatorUrl: `${origin}/_emulator/`,
    environments: rt.environments,
    runtime: rt,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type { EmulatorOptionsInput } from './options';
