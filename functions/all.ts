/** Every function of the app, in one list. Add a function by adding its definition here. */
import type { FunctionDefinition } from './definition';
import { health } from './health';
import { applyChanges } from './apply-changes';
import { webhook } from './webhook';
import { ingest } from './ingest';
import { inbound } from './inbound';
import { sync } from './sync';
import { startupConfiguration } from '../shared/config/configuration';

export const allFunctions: FunctionDefinition[] = [health, applyChanges, webhook, ingest, inbound, sync];

// Settings and routes are loaded and validated once, when the host loads the app (both hosts load this file with
// the app settings already in process.env). An invalid configuration does not throw here: that would leave the host
// without functions, so /api/health would answer 404 and the report would be one line in a worker error. Instead the
// full report goes to the host's startup log, GET /api/health answers 503 with it, and the webhook and ingest answer
// 503 not_configured with the same problems.
startupConfiguration();
