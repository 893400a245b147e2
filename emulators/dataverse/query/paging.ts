/**
 * The `$skiptoken` paging cookie (Learn: webapi/query/page-results): an XML element
 * `<cookie pagenumber="2" pagingcookie="<url-encoded inner cookie>" istracking="False" />`
 * whose inner cookie holds, per sort column, the last value of the previous page. Resuming
 * after that key (keyset paging) keeps pages exact even when rows are added or deleted between calls.
 */
import { DvError } from '../errors';
import type { TableDef } from '../schema/model';
import type { SortKey, SortTuple } from './orderby';

export interface PagingCookie {
  /** Number of the page this cookie asks for (2 for the first nextLink). */
  pageNumber: number;
  /** Sort tuple of the last row already returned, or undefined before the first page. */
  last: SortTuple;
  tracking: boolean;
  /** Emulator-specific state carried through the opaque token (e.g. the delta version a tracked load started at). */
  extra: Record<string, string>;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlUnescape = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function encodeValue(v: string | number | null): string {
  if (v === null) return '';
  return typeof v === 'number' ? `n:${v}` : `s:${v}`;
}

function decodeValue(s: string | undefined): string | number | null {
  if (s === undefined || s === '') return null;
  if (s.startsWith('n:') && !Number.isNaN(Number(s.slice(2)))) return Number(s.slice(2));
  if (s.startsWith('s:')) return s.slice(2);
  throw new Error(`bad value ${s}`);
}

/** The `$skiptoken` value (not yet URL-encoded for the link). */
export function encodeSkipToken(keys: SortKey[], cookie: PagingCookie): string {
  const cols = keys
    .map((k, i) => {
      const v = cookie.last[i];
      return `<${k.prop.column.logicalName}${v === null ? '' : ` last="${xmlEscape(encodeValue(v))}"`} />`;
    })
    .join('');
  const extra = Object.entries(cookie.extra)
    .map(([k, v]) => ` ${k}="${xmlEscape(v)}"`)
    .join('');
  const inner = `<cookie page="${cookie.pageNumber - 1}"${extra}>${cols}</cookie>`;
  return `<cookie pagenumber="${cookie.pageNumber}" pagingcookie="${encodeURIComponent(inner)}" istracking="${cookie.tracking ? 'True' : 'False'}" />`;
}

/** [U] Dataverse's answer to an edited or foreign skiptoken is not documented; we answer 400 InvalidArgument naming the problem. */
function badToken(why: string): DvError {
  return new DvError(
    400,
    '0x80040203',
    `The $skiptoken is not valid (${why}). Use the @odata.nextLink exactly as returned, with the same $select, $filter and $orderby.`,
  );
}

export function decodeSkipToken(token: string, keys: SortKey[], table: TableDef): PagingCookie {
  const outer = /^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)" istracking="(True|False)" \/>$/.exec(token.trim());
  if (!outer) throw badToken('it is not a paging cookie');
  let inner: string;
  try {
    inner = decodeURIComponent(outer[2]);
  } catch {
    throw badToken('its pagingcookie is not URL-encoded correctly');
  }
  const head = /^<cookie page="(\d+)"((?: [a-z]+="[^"]*")*)>(.*)<\/cookie>$/.exec(inner);
  if (!head) throw badToken('its pagingcookie is malformed');
  const extra: Record<string, string> = {};
  for (const m of head[2].matchAll(/ ([a-z]+)="([^"]*)"/g)) extra[m[1]] = xmlUnescape(m[2]);
  const cols = [...head[3].matchAll(/<([a-z0-9_]+)(?: last="([^"]*)")? \/>/g)];
  if (cols.length !== keys.length || cols.some((c, i) => c[1] !== keys[i].prop.column.logicalName)) {
    throw badToken(`its sort columns do not match this query's $orderby on ${table.entitySetName}`);
  }
  let last: SortTuple;
  try {
    last = cols.map((c) => decodeValue(c[2] === undefined ? undefined : xmlUnescape(c[2])));
  } catch {
    throw badToken('a column value in it is malformed');
  }
  return { pageNumber: Number(outer[1]), last, tracking: outer[3] === 'True', extra };
}
