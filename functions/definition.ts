/**
 * One registry of function definitions, consumed by two hosts:
 * - `functions/index.ts` hands each definition to `app.*` (Azure Functions host, `func start`);
 * - `emulators/functions-host` runs the very same objects locally with the host's semantics.
 * A definition is the exact options object `app.*` receives, so there is no second copy of any handler.
 */
import type { HttpFunctionOptions, ServiceBusQueueFunctionOptions, TimerFunctionOptions } from '@azure/functions';

export type FunctionDefinition =
  | { name: string; trigger: 'http'; options: HttpFunctionOptions }
  | { name: string; trigger: 'serviceBusQueue'; options: ServiceBusQueueFunctionOptions }
  | { name: string; trigger: 'timer'; options: TimerFunctionOptions };

export const httpFunction = (name: string, options: HttpFunctionOptions): FunctionDefinition => ({ name, trigger: 'http', options });
export const serviceBusQueueFunction = (name: string, options: ServiceBusQueueFunctionOptions): FunctionDefinition => ({
  name,
  trigger: 'serviceBusQueue',
  options,
});
export const timerFunction = (name: string, options: TimerFunctionOptions): FunctionDefinition => ({ name, trigger: 'timer', options });
