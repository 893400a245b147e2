/** Ports and flags of the local stack (`dvsync start` / `npm start`), validated once, with their defaults. */
export interface StackPorts {
  functions: number;
  serviceBus: number;
  dataverse: number;
  azuriteTable: number;
  azuriteBlob: number;
}

export interface PortSpec {
  key: keyof StackPorts;
  flag: string;
  env: string;
  default: number;
  what: string;
}

export const PORT_SPECS: PortSpec[] = [
  { key: 'functions', flag: '--port', env: 'DVSYNC_FUNCTIONS_PORT', default: 7071, what: 'Functions host (HTTP)' },
  { key: 'serviceBus', flag: '--servicebus-port', env: 'DVSYNC_SERVICEBUS_PORT', default: 5672, what: 'Service Bus emulator (AMQP)' },
  { key: 'dataverse', flag: '--dataverse-port', env: 'DVSYNC_DATAVERSE_PORT', default: 7072, what: 'Dataverse emulator (HTTP)' },
  { key: 'azuriteTable', flag: '--table-port', env: 'DVSYNC_AZURITE_TABLE_PORT', default: 10002, what: 'Azurite Table' },
  { key: 'azuriteBlob', flag: '--blob-port', env: 'DVSYNC_AZURITE_BLOB_PORT', default: 10000, what: 'Azurite Blob' },
];

export function portSettingName(key: keyof StackPorts): string {
  const spec = PORT_SPECS.find((s) => s.key === key)!;
  return `${spec.flag} or ${spec.env}`;
}

export interface StackCliOptions {
  ports: StackPorts;
  appDir?: string;
  /** Ports given explicitly (flag or env) rather than defaulted; the functions port default may come from local.settings.json. */
  explicit: Set<keyof StackPorts>;
}

export class UsageError extends Error {}

export function parseStackArgs(argv: string[], env: NodeJS.ProcessEnv): StackCliOptions {
  const ports = Object.fromEntries(PORT_SPECS.map((s) => [s.key, s.default])) as unknown as StackPorts;
  const explicit = new Set<keyof StackPorts>();
  let appDir: string | undefined;
  for (const spec of PORT_SPECS) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') {
      ports[spec.key] = parsePort(raw, `environment variable ${spec.env}`);
      explicit.add(spec.key);
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = inline ?? argv[i + 1];
    const spec = PORT_SPECS.find((s) => s.flag === flag);
    if (spec) {
      if (value === undefined) throw new UsageError(`${flag} needs a port number (0 picks a free port).`);
      ports[spec.key] = parsePort(value, flag);
      explicit.add(spec.key);
    } else if (flag === '--app-dir') {
      if (value === undefined) throw new UsageError('--app-dir needs a folder (the one with host.json).');
      appDir = value;
    } else {
      throw new UsageError(`unknown option "${argv[i]}".`);
    }
    if (inline === undefined) i++;
  }
  return { ports, appDir, explicit };
}

function parsePort(raw: string, where: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) > 65535) throw new UsageError(`${where}: "${raw}" is not a port number (0-65535; 0 picks a free port).`);
  return Number(raw);
}

export function stackUsage(): string {
  const lines = PORT_SPECS.map((s) => `  ${`${s.flag} <n>`.padEnd(22)} ${s.what} port (env ${s.env}, default ${s.default})`);
  return (
    'Usage: dvsync start [options]\n\n' +
    'Starts the local stack in this process: Azurite, the Service Bus emulator, the Dataverse emulator and the\n' +
    'local Functions host. Stop it with Ctrl-C (or SIGTERM).\n\nOptions:\n' +
    `${lines.join('\n')}\n  ${'--app-dir <dir>'.padEnd(22)} app folder with host.json and local.settings.json (default: the repository)\n`
  );
}
