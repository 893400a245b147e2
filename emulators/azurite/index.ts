/**
 * Azurite (Table + Blob) in this process, in memory, on configurable ports (0 = a free port).
 * Azurite 3.x exposes its servers as classes (`TableServer`, `BlobServer`), so no child process is
 * needed: closing the handle closes both HTTP servers and nothing is left listening.
 */
import type { Server } from 'node:http';
import { listenError } from '../stack/port-error';

/** The well-known development account every Azurite and storage SDK knows (not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Table service port; 0 (default) picks a free port. */
  tablePort?: number;
  /** Blob service port; 0 (default) picks a free port. */
  blobPort?: number;
  host?: string;
  /** Names the setting/flag that moves each port, for the "port taken" error. */
  portSettingNames?: { table: string; blob: string };
}

export interface AzuriteHandle {
  tablePort: number;
  blobPort: number;
  tableUrl: string;
  blobUrl: string;
  /** Storage connection string with explicit endpoints (ports are not the Azurite defaults). */
  connectionString: string;
  close(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  httpServer: Server;
}

// Azurite ships CommonJS without type declarations; these are its documented server classes.
/* eslint-disable @typescript-eslint/no-require-imports */
function loadAzurite() {
  const table = require('azurite/dist/src/table/TableServer').default;
  const tableConfig = require('azurite/dist/src/table/TableConfiguration').default;
  const blob = require('azurite/dist/src/blob/BlobServer').default;
  const blobConfig = require('azurite/dist/src/blob/BlobConfiguration').default;
  const { MemoryExtentChunkStore, DEFAULT_EXTENT_MEMORY_LIMIT } = require('azurite/dist/src/common/persistence/MemoryExtentStore');
  return { table, tableConfig, blob, blobConfig, MemoryExtentChunkStore, DEFAULT_EXTENT_MEMORY_LIMIT };
}

export function azuriteConnectionString(host: string, tablePort: number, blobPort: number): string {
  return (
    [
      'DefaultEndpointsProtocol=http',
      `AccountName=${DEV_ACCOUNT_NAME}`,
      `AccountKey=${DEV_ACCOUNT_KEY}`,
      `BlobEndpoint=http://${host}:${blobPort}/${DEV_ACCOUNT_NAME}`,
      `TableEndpoint=http://${host}:${tablePort}/${DEV_ACCOUNT_NAME}`,
    ].join(';') + ';'
  );
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteHandle> {
  const host = options.host ?? '127.0.0.1';
  const names = options.portSettingNames ?? { table: 'tablePort', blob: 'blobPort' };
  const az = loadAzurite();
  // Positional constructor arguments (Azurite's own order): host, port, keepAlive, dbPath, debugLog,
  // accessLog, accessLogStream, debugLogPath, loose, skipApiVersionCheck, cert, key, pwd, oauth,
  // disableProductStyleUrl, inMemory. Loose mode stays off so unsupported headers fail like Azure would;
  // the API-version check is skipped because the SDKs move faster than Azurite releases.
  const tableServer: AzuriteServer = new az.table(
    new az.tableConfig(
      host,
      options.tablePort ?? 0,
      5,
      '__azurite_table__',
      false,
      false,
      undefined,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
    ),
  );
  const blobServer: AzuriteServer = new az.blob(
    new az.blobConfig(
      host,
      options.blobPort ?? 0,
      5,
      '__azurite_blob__',
      '__azurite_blob_extent__',
      undefined,
      false,
      undefined,
      false,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
      // Own chunk store: two Azurites in one process must not share blob contents.
      new az.MemoryExtentChunkStore(Math.min(az.DEFAULT_EXTENT_MEMORY_LIMIT, 512 * 1024 * 1024)),
    ),
  );
  const started: AzuriteServer[] = [];
  try {
    await startServer(tableServer, 'Azurite Table', host, options.tablePort ?? 0, names.table);
    started.push(tableServer);
    await startServer(blobServer, 'Azurite Blob', host, options.blobPort ?? 0, names.blob);
    started.push(blobServer);
  } catch (err) {
    await Promise.all(started.map(closeServer));
    throw err;
  }
  const tablePort = portOf(tableServer);
  const blobPort = portOf(blobServer);
  let closing: Promise<void> | undefined;
  return {
    tablePort,
    blobPort,
    tableUrl: `http://${host}:${tablePort}/${DEV_ACCOUNT_NAME}`,
    blobUrl: `http://${host}:${blobPort}/${DEV_ACCOUNT_NAME}`,
    connectionString: azuriteConnectionString(host, tablePort, blobPort),
    close: () => (closing ??= Promise.all(started.map(closeServer)).then(() => undefined)),
  };
}

async function startServer(server: AzuriteServer, what: string, host: string, port: number, setting: string): Promise<void> {
  try {
    await server.start();
  } catch (err) {
    throw listenError(err, what, host, port, setting);
  }
}

function portOf(server: AzuriteServer): number {
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('Azurite started but reports no TCP address.');
  return address.port;
}

/** Azurite's close() calls stoppable's stop() without waiting; wait for the listener to really go. */
async function closeServer(server: AzuriteServer): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    if (!server.httpServer.listening) resolve();
    else server.httpServer.once('close', () => resolve());
  });
  await server.close();
  await closed;
}

/** `dvsync emulator azurite [--table-port N] [--blob-port N] [--host H]`: Azurite in the foreground until Ctrl-C. */
export async function runCli(argv: string[]): Promise<number> {
  const usage = 'Usage: dvsync emulator azurite [--table-port <n>] [--blob-port <n>] [--host <address>]\n';
  const options: AzuriteOptions = { tablePort: 10002, blobPort: 10000, portSettingNames: { table: '--table-port', blob: '--blob-port' } };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(usage);
      return 0;
    }
    const value = argv[i + 1];
    if (flag === '--host' && value) options.host = value;
    else if ((flag === '--table-port' || flag === '--blob-port') && value && /^\d+$/.test(value) && Number(value) <= 65535) {
      if (flag === '--table-port') options.tablePort = Number(value);
      else options.blobPort = Number(value);
    } else {
      process.stderr.write(`dvsync emulator azurite: unexpected argument "${flag}"${value ? ` "${value}"` : ''}; ports must be 0-65535.\n${usage}`);
      return 2;
    }
    i++;
  }
  const azurite = await startAzurite(options);
  process.stdout.write(
    `Azurite ready (in memory).\n  Table: ${azurite.tableUrl}\n  Blob:  ${azurite.blobUrl}\n` + `  AzureWebJobsStorage=${azurite.connectionString}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await azurite.close();
  return 0;
}
