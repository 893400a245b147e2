/** `Prefer` header parsing (dataverse-web-api.md §9): several preferences joined by commas. */
export interface Preferences {
  returnRepresentation: boolean;
  /** Value of odata.include-annotations without quotes, e.g. `*` or `OData.Community.Display.V1.FormattedValue`. */
  includeAnnotations?: string;
  maxPageSize?: number;
  trackChanges: boolean;
  continueOnError: boolean;
}

export function parsePrefer(headers: Record<string, string>): Preferences {
  const out: Preferences = { returnRepresentation: false, trackChanges: false, continueOnError: false };
  for (const part of (headers['prefer'] ?? '').split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName.trim().toLowerCase();
    const value = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
    if (name === 'return' && value === 'representation') out.returnRepresentation = true;
    else if (name === 'odata.include-annotations') out.includeAnnotations = value;
    else if (name === 'odata.maxpagesize' && /^\d+$/.test(value)) out.maxPageSize = Number(value);
    else if (name === 'odata.track-changes') out.trackChanges = true;
    else if (name === 'odata.continue-on-error') out.continueOnError = true;
  }
  return out;
}

export const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal';
