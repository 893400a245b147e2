/** Dataverse emulator + Service Bus emulator + Azurite on free ports, and app settings pointing at them. */
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startDataverseEmulator, type DataverseEmulator } from '../../../emulators/dataverse';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { staticTokenProvider } from '../../../shared/dataverse/auth';
import { DataverseClient } from '../../../shared/dataverse/client';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';

export const QUEUE = 'dvsync-changes';
/** One ordering bucket, so every message of the target environment is in session "target-0000". */
export const SESSION = 'target-0000';

export interface SyncHarness {
  dv: DataverseEmulator;
  sb: ServiceBusEmulator;
  azurite: TestAzurite;
  sbClient: ServiceBusClient;
  /** Writes to the source environment (as a user, so change tracking sees them). */
  source: DataverseClient;
  settings(routes: unknown[], extra?: Record<string, string>): Record<string, string>;
  /** Receives and completes everything in the session until it stays empty. */
  drain(): Promise<ServiceBusReceivedMessage[]>;
  close(): Promise<void>;
}

export async function startSyncHarness(): Promise<SyncHarness> {
  const [dv, sb, azurite] = await Promise.all([
    startDataverseEmulator({ port: 0, timeScale: 0.001 }),
    startServiceBusEmulator({
      port: 0,
      queues: [{ name: QUEUE, requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' }],
    }),
    startAzurite(),
  ]);
  const sbClient = new ServiceBusClient(sb.connectionString, { retryOptions: { timeoutInMs: 2000, maxRetries: 0 } });
  const source = new DataverseClient({ baseUrl: dv.url('source'), tokens: staticTokenProvider('app-user-1') });
  return {
    dv,
    sb,
    azurite,
    sbClient,
    source,
    settings: (routes, extra = {}) => ({
      DVSYNC_ENVIRONMENTS: JSON.stringify({
        source: { url: 'https://source.crm.dynamics.com', apiBaseUrl: dv.url('source'), credentials: [{ type: 'staticToken', token: 'app-user-1' }] },
        target: { url: 'https://target.crm.dynamics.com', apiBaseUrl: dv.url('target'), credentials: [{ type: 'staticToken', token: 'app-user-1' }] },
      }),
      DVSYNC_ROUTES: JSON.stringify({ routes }),
      ServiceBusConnection: sb.connectionString,
      AzureWebJobsStorage: azurite.connectionString,
      DVSYNC_SESSION_BUCKETS: '1',
      DVSYNC_QUEUE_SEND_RETRIES: '0',
      ...extra,
    }),
    drain: async () => {
      const receiver = await sbClient.acceptSession(QUEUE, SESSION);
      const out: ServiceBusReceivedMessage[] = [];
      try {
        for (;;) {
          const batch = await receiver.receiveMessages(500, { maxWaitTimeInMs: 300 });
          if (batch.length === 0) break;
          for (const m of batch) await receiver.completeMessage(m);
          out.push(...batch);
        }
      } finally {
        await receiver.close();
      }
      return out;
    },
    close: async () => {
      await sbClient.close();
      await Promise.all([dv.close(), sb.close(), azurite.close()]);
    },
  };
}

/** A sync route reading source `account` rows into target accounts by account number. */
export function accountRoute(name: string, sync: Record<string, unknown> = { enabled: true, pageSize: 2 }): Record<string, unknown> {
  return {
    name,
    source: { environment: 'source', table: 'account', sync },
    target: {
      environment: 'target',
      table: 'account',
      entitySet: 'accounts',
      key: ['accountnumber'],
      columns: { accountnumber: 'accountnumber', name: 'name' },
    },
  };
}
