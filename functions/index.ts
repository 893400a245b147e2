/**
 * The app's `main` entry (package.json). The Azure Functions host loads this file; each definition
 * is registered with the v4 programming model exactly as declared in `functions/all.ts`.
 */
import { app } from '@azure/functions';
import { registeredFunctions } from './all';
import type { FunctionDefinition } from './definition';

export function registerAll(definitions: FunctionDefinition[]): void {
  for (const d of definitions) {
    switch (d.trigger) {
      case 'http':
        app.http(d.name, d.options);
        break;
      case 'serviceBusQueue':
        app.serviceBusQueue(d.name, d.options);
        break;
      case 'timer':
        app.timer(d.name, d.options);
        break;
    }
  }
}

registerAll(registeredFunctions);
