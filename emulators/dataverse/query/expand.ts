/**
 * `$expand` of single-valued navigation properties (lookups), optionally with a nested `$select`:
 * `$expand=primarycontactid($select=fullname)`. The expanded row appears under the navigation
 * property name, or null when the lookup is empty.
 */
import { DvError } from '../errors';
import type { NavigationDef, TableDef } from '../schema/model';
import { parseSelect } from '../serialize';
import { querySyntaxError } from './filter-lexer';

export interface ExpandItem {
  nav: Extract<NavigationDef, { kind: 'single' }>;
  target: TableDef;
  select?: string[];
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

export function parseExpand(text: string | null, table: TableDef, tableOf: (logicalName: string) => TableDef | undefined): ExpandItem[] {
  if (text === null) return [];
  const items: ExpandItem[] = [];
  for (const raw of splitTopLevel(text)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$/.exec(raw);
    if (!m) throw querySyntaxError('$expand', text, Math.max(0, text.indexOf(raw)), `'${raw.trim()}' is not a navigation property with optional (…) options`);
    const nav = table.navigation.get(m[1]);
    if (!nav) throw new DvError(400, '0x0', `Could not find a property named '${m[1]}' on type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`);
    if (nav.kind !== 'single') {
      throw new DvError(
        400,
        '0x80060888',
        `The emulator expands single-valued navigation properties only; '${m[1]}' is collection-valued. Query the related set with $filter on its lookup instead.`,
      );
    }
    const target = tableOf(nav.target)!;
    let select: string[] | undefined;
    if (m[2] !== undefined && m[2].trim() !== '') {
      const opt = /^\s*\$select\s*=\s*([^;]*)$/.exec(m[2]);
      if (!opt) throw new DvError(400, '0x80060888', `Only $select is accepted inside $expand=${m[1]}(…); got '${m[2]}'.`);
      select = parseSelect(target, opt[1]);
    }
    items.push({ nav, target, select });
  }
  return items;
}
