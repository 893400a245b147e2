/** Every function of the app, in one list. Add a function by adding its definition here. */
import type { FunctionDefinition } from './definition';
import { health } from './health';
import { applyChanges } from './apply-changes';
import { webhook } from './webhook';
import { ingest } from './ingest';
import { inbound } from './inbound';
import { sync } from './sync';
import { startupConfiguration } from '../shared/app';

/** Every function of the app (the catalogue); what a host registers is `registeredFunctions`. */
export const allFunctions: FunctionDefinition[] = [health, applyChanges, webhook, ingest, inbound, sync];

// Settings and routes are loaded and validated once, when the host loads the app (both hosts load this file with
// the app settings already in process.env), including the engine's compilation of the routes. An invalid
// configuration does not throw here: that would leave the host without functions, so /api/health would answer 404
// and the report would be one line in a worker error. Instead the full report goes to the host's startup log,
// GET /api/health answers 503 with it, the webhook and ingest answer 503 not_configured, and the Service Bus and
// timer triggers are not registered: messages wait in their queues (nothing abandoned, nothing dead-lettered)
// until the app restarts with a valid configuration.
const startup = startupConfiguration();

/** What both hosts register: every function with a valid configuration, else the HTTP functions only. */
export const registeredFunctions: FunctionDefinition[] = startup.ok ? allFunctions : allFunctions.filter((d) => d.trigger === 'http');
