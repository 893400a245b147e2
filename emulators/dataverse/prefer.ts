/**
 * The `Prefer` header (Learn: webapi/compose-http-requests-handle-errors): several preferences joined by commas, values
 * possibly quoted (`odata.include-annotations="A,B"`), so the split is quote-aware. The one
 * parser every handler uses (single rows, queries, change tracking, $batch, bulk).
 */
import { DvError } from './errors';

export const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal';

export interface Preferences {
  maxPageSize?: number;
  trackChanges: boolean;
  continueOnError: boolean;
  returnRepresentation: boolean;
  /** Annotation patterns from odata.include-annotations (`*`, `OData.Community.Display.V1.FormattedValue`, `Microsoft.Dynamics.CRM.*`). */
  includeAnnotations?: string[];
  /** The raw include-annotations value, for echoing in Preference-Applied. */
  includeAnnotationsRaw?: string;
}

/** Default and maximum page size (Learn: webapi/query/page-results). */
export const MAX_PAGE_SIZE = 5000;

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (!quoted && s[i] === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

export function parsePrefer(header: string | undefined): Preferences {
  const prefs: Preferences = { trackChanges: false, continueOnError: false, returnRepresentation: false };
  for (const item of splitOutsideQuotes(header ?? '', ',')) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value =
      eq < 0
        ? ''
        : item
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
    switch (name) {
      case 'odata.maxpagesize': {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n <= 0) {
          // [U] Microsoft's docs do not give Dataverse's answer to a bad maxpagesize; we refuse it clearly rather than guess a page size.
          throw new DvError(400, '0x80040203', `Prefer: odata.maxpagesize=${value} is not valid; give a positive whole number up to ${MAX_PAGE_SIZE}.`);
        }
        prefs.maxPageSize = Math.min(n, MAX_PAGE_SIZE);
        break;
      }
      case 'odata.track-changes':
        prefs.trackChanges = true;
        break;
      case 'odata.continue-on-error':
        prefs.continueOnError = true;
        break;
      case 'return':
        prefs.returnRepresentation = value === 'representation';
        break;
      case 'odata.include-annotations':
        prefs.includeAnnotationsRaw = value;
        prefs.includeAnnotations = value
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        break;
      default:
        break; // unknown preferences are ignored, as HTTP Prefer semantics require
    }
  }
  return prefs;
}

/** Whether an annotation term (`OData.Community.Display.V1.FormattedValue`) was asked for; `*` and `Namespace.*` wildcards match, `-term` excludes. */
export function wantsAnnotation(prefs: Preferences, term: string): boolean {
  let wanted = false;
  for (const p of prefs.includeAnnotations ?? []) {
    const exclude = p.startsWith('-');
    const pattern = exclude ? p.slice(1) : p;
    const hit = pattern === '*' || pattern === term || (pattern.endsWith('.*') && term.startsWith(pattern.slice(0, -1)));
    if (hit && exclude) return false;
    if (hit) wanted = true;
  }
  return wanted;
}
