/**
 * A source column value after normalisation, independent of where it came from (webhook key/value
 * arrays, an external system's JSON, a CSV cell, a Web API read). Plain JSON so it survives Service Bus.
 * Primitives stay primitives; typed Dataverse values carry a `$type` tag.
 */
export type SourceValue =
  | string
  | number
  | boolean
  | null
  | { $type: 'reference'; table: string; id: string; name?: string | null; keys?: Record<string, string | number> }
  | { $type: 'choice'; value: number; label?: string }
  | { $type: 'choices'; values: number[]; labels?: string[] }
  | { $type: 'money'; value: number; exact?: string } // exact: the source's text when `value` lost digits (older consumers read value)
  | { $type: 'datetime'; iso: string }
  | { $type: 'decimal'; value: string } // decimal kept as its exact text so trailing digits are not lost
  | { $type: 'collection'; table: string; rows: Array<Record<string, SourceValue>> };

export type SourceRow = Record<string, SourceValue>;
