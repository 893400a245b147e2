/**
 * A source column value after normalisation, independent of where it came from (webhook key/value
 * arrays, an external system's JSON, a CSV cell, a Web API read). Plain JSON so it survives Service Bus.
 * Primitives stay primitives; typed Dataverse values carry a `$type` tag. The schema is the definition;
 * the types are derived from it.
 */
import { z } from 'zod';

/** The text of a JSON number: what ExactDecimal (shared/dataverse/wire-json.ts) writes digit for digit. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const referenceValue = z.object({
  $type: z.literal('reference'),
  table: z.string(),
  id: z.string(),
  name: z.string().nullable().optional(),
  keys: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

const choiceValue = z.object({ $type: z.literal('choice'), value: z.number(), label: z.string().optional() });

const choicesValue = z.object({ $type: z.literal('choices'), values: z.array(z.number()), labels: z.array(z.string()).optional() });

const moneyValue = z.object({
  $type: z.literal('money'),
  value: z.number(),
  /** The source's text when `value` lost digits (older consumers read `value`). */
  exact: z.string().regex(JSON_NUMBER, 'exact must be the amount as decimal digits such as "123456789012345.6789"').optional(),
});

const datetimeValue = z.object({ $type: z.literal('datetime'), iso: z.string() });

const decimalValue = z.object({
  $type: z.literal('decimal'),
  /** The exact text, so trailing digits are not lost. */
  value: z.string().regex(JSON_NUMBER, 'a decimal value must be decimal digits such as "1234567.8901"'),
});

/** The rows of a related table (a collection-valued navigation property). */
const collectionValue = z.object({
  $type: z.literal('collection'),
  table: z.string(),
  // A getter makes the schema recursive (rows hold source values) while keeping the inferred type.
  get rows(): z.ZodArray<typeof sourceRowSchema> {
    return z.array(sourceRowSchema);
  },
});

export const sourceValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  referenceValue,
  choiceValue,
  choicesValue,
  moneyValue,
  datetimeValue,
  decimalValue,
  collectionValue,
]);

/** A row's columns by logical name. */
export const sourceRowSchema: z.ZodRecord<z.ZodString, typeof sourceValueSchema> = z.record(z.string(), sourceValueSchema);

export type SourceValue = z.output<typeof sourceValueSchema>;
export type SourceRow = z.output<typeof sourceRowSchema>;
