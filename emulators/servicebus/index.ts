/**
 * In-memory Azure Service Bus emulator speaking AMQP 1.0 (on rhea) to the unmodified
 * @azure/service-bus SDK. State lives in memory only: a restart loses every message.
 */
import { type AddressInfo, type Server, type Socket } from 'net';
import rhea = require('rhea');
import { Broker } from './broker';
import { defaultQueues, loadQueuesFile, type QueueConfig, type QueueSettings, resolveQueues } from './config';
import { attachBroker } from './links';
import { installRawCapture, listenerOptions } from './rhea-internals';

export type { QueueConfig, QueueSettings } from './config';
export { QueueConfigError, parseIsoDuration } from './config';
export { MAX_MESSAGE_BYTES } from './links';

export interface ServiceBusEmulatorOptions {
  /** TCP port; 0 picks a free one. Default 5672 (what `UseDevelopmentEmulator=true` assumes without a port). */
  port?: number;
  /** Listen address. Default 127.0.0.1 (the SDK's `localhost` reaches it). */
  host?: string;
  /** Queues declared in code. Takes precedence over `configFile`. */
  queues?: QueueConfig[];
  /** A queues file: `{ "queues": [...] }` or the official emulator's Config.json. Default: emulators/servicebus/queues.json. */
  configFile?: string;
  /** Create unknown queues on first use instead of answering MessagingEntityNotFound. Default false. */
  autoCreateQueues?: boolean;
  /** AMQP idle timeout we ask of clients, in ms (0 = none). The SDK heartbeats automatically. */
  idleTimeoutMs?: number;
}

export interface ServiceBusEmulator {
  port: number;
  connectionString: string;
  /** Queue settings in effect (after defaults). */
  queues: QueueSettings[];
  close(): Promise<void>;
}

export function connectionStringFor(port: number): string {
  return `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true`;
}

/**
 * rhea writes every frame with its own `socket.write`; with TCP_NODELAY each becomes a syscall and a
 * packet of its own (500 deliveries = 500 packets the client reads one by one). Corking from the
 * first write of a tick until the next tick sends all of a tick's frames in one writev.
 */
function coalesceWrites(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}

export async function startServiceBusEmulator(options: ServiceBusEmulatorOptions = {}): Promise<ServiceBusEmulator> {
  const settings = options.queues
    ? resolveQueues(options.queues, 'startServiceBusEmulator({ queues })')
    : options.configFile
      ? loadQueuesFile(options.configFile)
      : defaultQueues();
  installRawCapture();
  const broker = new Broker(settings, options.autoCreateQueues ?? false);
  const container = rhea.create_container({ id: 'dvsync-servicebus-emulator' });
  let port = 0;
  attachBroker(container, broker, () => port);
  const sockets = new Set<Socket>();
  const server = container.listen({
    port: options.port ?? 5672,
    host: options.host ?? '127.0.0.1',
    ...listenerOptions,
    ...(options.idleTimeoutMs ? { idle_time_out: options.idleTimeoutMs } : {}),
  } as never) as unknown as Server;
  server.on('connection', (socket: Socket) => {
    coalesceWrites(socket);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Service Bus emulator: port ${options.port ?? 5672} is already in use; pass another port (or 0 for a free one).`)
          : err,
      ),
    );
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    connectionString: connectionStringFor(port),
    queues: settings,
    close: async () => {
      broker.close();
      // rhea learns of a dead socket only from 'end' or 'error'; a plain destroy() emits neither, and
      // the connection would keep its heartbeat timer (half the client's idle timeout) alive forever.
      for (const s of sockets) s.destroy(new Error('The Service Bus emulator is shutting down.'));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
