/**
 * The ordered handler list. `dispatch` offers each request to these in turn; the first that
 * returns a response wins. Each engineer adds their module with one line. More specific
 * handlers go first: the row handler (by id / key, $ref) must stay after collection queries.
 */
import type { TableSpecInput } from './schema/spec';
import type { Handler } from './types';
import { metadataHandler } from './metadata';
import { whoAmIHandler } from './whoami';
import { rowHandler } from './rows';
import { refHandler } from './rows/ref';
import { collectionQueryHandler } from './query/collection';
import { batchHandler } from './batch/handler';
import { bulkHandler } from './bulk/handler';
import { webhookHandler } from './webhooks/handler';
import { webhookTables } from './webhooks/tables';

export const handlers: Handler[] = [
  webhookHandler, // engineer C: validates registrations, wraps writes for sync webhook steps (answers nothing itself)
  metadataHandler,
  whoAmIHandler,
  // engineer B: $batch, bulk actions, collection queries, change tracking
  batchHandler,
  bulkHandler,
  collectionQueryHandler,
  // engineer C: serviceendpoints / sdkmessageprocessingsteps registration
  refHandler,
  rowHandler,
];

/** Tables the engine itself needs in every environment (e.g. serviceendpoint), merged into every loaded schema unless the file defines them. */
export const extraTables: TableSpecInput[] = [...webhookTables];
