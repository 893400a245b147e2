/** The complete function table, keyed by lower-cased name (names are case-insensitive). */
import { collectionFunctions } from './collections';
import { conversionFunctions } from './conversion';
import { dateTimeFunctions } from './datetime';
import { logicalFunctions } from './logical';
import { manipulationFunctions } from './manipulation';
import { mathFunctions } from './math';
import { stringFunctions } from './strings';
import type { FunctionTable } from './types';
import { uriFunctions } from './uri';
import { workflowFunctions } from './workflow';

export const FUNCTIONS: FunctionTable = Object.freeze(
  Object.assign(
    Object.create(null) as FunctionTable,
    stringFunctions,
    collectionFunctions,
    logicalFunctions,
    conversionFunctions,
    mathFunctions,
    dateTimeFunctions,
    uriFunctions,
    manipulationFunctions,
    workflowFunctions,
  ),
);

/** Canonical names of every supported function, for docs and error messages. */
export function supportedFunctionNames(): string[] {
  return Object.values(FUNCTIONS)
    .map((f) => f.name)
    .sort((a, b) => a.localeCompare(b));
}

export type { EvaluationScope, FunctionDef } from './types';
