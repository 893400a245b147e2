/** The trigger-condition compiler routes use (shared/conditions), behind the small interface load.ts needs. */
import { compileTriggerCondition } from '../conditions';
import type { ConditionCompiler } from './load';

export const compileCondition: ConditionCompiler = (source) => compileTriggerCondition(source);
