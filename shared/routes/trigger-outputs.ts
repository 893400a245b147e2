/** What a trigger condition sees: `triggerOutputs()` of Power Automate's Dataverse trigger (owned by shared/conditions). */
export type { DataverseTriggerBody, DataverseTriggerOutputs } from '../conditions';
