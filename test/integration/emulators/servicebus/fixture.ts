/** Starts the emulator on a free port with short-lived test queues and a real ServiceBusClient. */
import { ServiceBusClient } from '@azure/service-bus';
import { type QueueConfig, type ServiceBusEmulator, type ServiceBusEmulatorOptions, startServiceBusEmulator } from '../../../../emulators/servicebus';

export interface Fixture {
  emulator: ServiceBusEmulator;
  client: ServiceBusClient;
  close(): Promise<void>;
}

/** Short locks keep lock-expiry tests fast; the client timeout bounds acceptNextSession waits. */
export async function startFixture(queues: QueueConfig[], options: Partial<ServiceBusEmulatorOptions> = {}): Promise<Fixture> {
  const emulator = await startServiceBusEmulator({ port: 0, queues, ...options });
  const client = new ServiceBusClient(emulator.connectionString, { retryOptions: { timeoutInMs: 2000, maxRetries: 0 } });
  return {
    emulator,
    client,
    close: async () => {
      await client.close();
      await emulator.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
