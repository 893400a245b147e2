/** Every function of the app, in one list. Add a function by adding its definition here. */
import type { FunctionDefinition } from './definition';
import { health } from './health';
import { applyChanges } from './apply-changes';
import { webhook } from './webhook';
import { ingest } from './ingest';
import { inbound } from './inbound';
import { sync } from './sync';

export const allFunctions: FunctionDefinition[] = [health, applyChanges, webhook, ingest, inbound, sync];
