/** One row of a query response: A's serializer for the body, plus formatted values and expansions. */
import type { TableDef } from '../schema/model';
import { rowBody } from '../serialize';
import type { Environment } from '../store/environment';
import type { LookupValue, Row } from '../types';
import { withFormattedValues, FORMATTED_VALUE } from './annotations';
import type { ExpandItem } from './expand';
import { wantsAnnotation, type Preferences } from '../prefer';

export interface RenderOptions {
  select?: string[];
  expand: ExpandItem[];
  prefs: Preferences;
}

export function renderRow(env: Environment, table: TableDef, row: Row, opts: RenderOptions): Record<string, unknown> {
  const lookupAnnotations = wantsAnnotation(opts.prefs, 'Microsoft.Dynamics.CRM.lookuplogicalname');
  const formatted = wantsAnnotation(opts.prefs, FORMATTED_VALUE);
  let body = rowBody(table, row, { select: opts.select, annotations: lookupAnnotations });
  if (formatted) body = withFormattedValues(env, table, row, body);
  for (const item of opts.expand) {
    const ref = row[item.nav.column] as LookupValue | null | undefined;
    const related = ref && ref.table === item.target.logicalName ? env.getRow(ref.table, ref.id) : undefined;
    body[item.nav.name] = related ? renderRow(env, item.target, related, { select: item.select, expand: [], prefs: opts.prefs }) : null;
  }
  return body;
}

/** `Preference-Applied` value for the preferences a response honoured. */
export function preferenceApplied(parts: Array<string | undefined>): Record<string, string> {
  const v = parts.filter(Boolean).join(',');
  return v ? { 'preference-applied': v } : {};
}
