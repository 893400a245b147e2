/**
 * Change versions: what orders two changes of one target row. A version is a set of stamps, each on
 * its own scale, and two versions are compared only on a scale they share; when they share none (or
 * the shared scale cannot tell them apart) the answer is `unknown`, never a guess. The engine resolves
 * `unknown` by re-reading the source row or by the documented arrival rule (README, "How versions are
 * ordered"); it never skips a change as stale on an `unknown`.
 *
 * Scales (the text form in ChangeMessage.version is `;`-separated `name=value` pairs):
 * - `rv`: the Dataverse row version (`versionnumber`, Entity.RowVersion, the change-tracking token's
 *   version), a per-environment counter that grows with every write. Total order within one source row.
 * - `mt`: the row's `modifiedon` in epoch ms. Dataverse keeps it to the second, so equal `mt` values do
 *   not say which change came first: equal is `unknown`.
 * - `ext`: `<ms>:<seq>:<producer>` for changes from outside Dataverse (ingest, inbound, import): the
 *   producer's clock when it accepted the change, then its position in that request or file. Equal
 *   (ms, seq) from the same producer run is the same change; from different runs, `unknown`.
 * - `rcv`: the receive time of a Dataverse change that carries neither (a Delete without images):
 *   kept for the record, never compared.
 * A bare decimal (versions written before this scheme) is `legacy`: equal only to itself, `unknown`
 * against everything else, because it mixed row versions and milliseconds on one number line.
 *
 * Versions of one source row's Dataverse stamps are comparable only with the same row's (the scope,
 * `dv|<environment>|<table>|<id>`): row versions of two environments share no counter. External stamps
 * share the scope `ext`.
 */

export interface Version {
  scope: string;
  rv?: bigint;
  mt?: number;
  ext?: { ms: number; seq: number; producer: string };
  /** When the producer received a change that carries no other stamp: informational, never compared. */
  rcv?: number;
  legacy?: string;
}

export type Order = 'newer' | 'older' | 'same' | 'unknown';

const DIGITS = /^\d+$/;

/** The components of ChangeMessage.version, checked; undefined when the text is not a version. */
export function parseStamps(text: string): Omit<Version, 'scope'> | undefined {
  if (DIGITS.test(text)) return { legacy: text };
  const out: Omit<Version, 'scope'> = {};
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (name === 'rv' && DIGITS.test(value) && out.rv === undefined) out.rv = BigInt(value);
    else if (name === 'mt' && DIGITS.test(value) && out.mt === undefined && Number.isSafeInteger(Number(value))) out.mt = Number(value);
    else if (name === 'ext' && out.ext === undefined) {
      const m = /^(\d+):(\d+):([A-Za-z0-9_.-]{1,80})$/.exec(value);
      if (!m || !Number.isSafeInteger(Number(m[1])) || !Number.isSafeInteger(Number(m[2]))) return undefined;
      out.ext = { ms: Number(m[1]), seq: Number(m[2]), producer: m[3] };
    } else if (name === 'rcv' && DIGITS.test(value) && out.rcv === undefined && Number.isSafeInteger(Number(value))) out.rcv = Number(value);
    else return undefined;
  }
  return out.rv !== undefined || out.mt !== undefined || out.ext !== undefined || out.rcv !== undefined ? out : undefined;
}

/** True when `text` is a valid ChangeMessage.version. */
export function isVersionText(text: string): boolean {
  return parseStamps(text) !== undefined;
}

/** The ChangeMessage.version text of some stamps (canonical order). `none` when there is none. */
export function formatStamps(s: Omit<Version, 'scope'>): string {
  if (s.legacy !== undefined) return s.legacy;
  const parts: string[] = [];
  if (s.rv !== undefined) parts.push(`rv=${s.rv}`);
  if (s.mt !== undefined) parts.push(`mt=${s.mt}`);
  if (s.ext) parts.push(`ext=${s.ext.ms}:${s.ext.seq}:${s.ext.producer}`);
  if (s.rcv !== undefined && parts.length === 0) parts.push(`rcv=${s.rcv}`);
  return parts.join(';');
}

/** Dataverse stamps of a row: its row version and its modifiedon, whichever are known, else the receive time (`rcv`). */
export function dataverseStamps(rowVersion: string | undefined, modifiedOn: string | number | undefined, receivedAtMs: number): string {
  const rv = rowVersion !== undefined && DIGITS.test(rowVersion) ? rowVersion : undefined;
  const ms = typeof modifiedOn === 'number' ? modifiedOn : modifiedOn !== undefined ? Date.parse(modifiedOn) : NaN;
  const mt = Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
  return formatStamps({ rv: rv === undefined ? undefined : BigInt(rv), mt, rcv: receivedAtMs });
}

/** Stamps of a row read through the Web API (re-read, change tracking): `versionnumber` and `modifiedon`. */
export function rowStamps(values: Record<string, unknown>, receivedAtMs: number, rowVersion?: string): string {
  const rv = values.versionnumber;
  const mt = values.modifiedon;
  const modified =
    typeof mt === 'string'
      ? mt
      : typeof mt === 'object' && mt !== null && typeof (mt as { iso?: unknown }).iso === 'string'
        ? (mt as { iso: string }).iso
        : undefined;
  return dataverseStamps(rowVersion ?? (typeof rv === 'number' || typeof rv === 'string' ? String(rv) : undefined), modified, receivedAtMs);
}

/** An external producer's stamp: its clock (ms), the change's position, and the producer run's id. */
export function externalStamp(ms: number, seq: number, producer: string): string {
  return formatStamps({ ext: { ms, seq, producer: producer.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'p' } });
}

/** The scope a change's Dataverse stamps belong to. */
export function scopeOf(origin: string, source: { environment?: string; table: string; id?: string }): string {
  if ((origin === 'webhook' || origin === 'sync') && source.id) return `dv|${source.environment ?? ''}|${source.table}|${source.id.toLowerCase()}`;
  return 'ext';
}

/** The stored form (ledger): `<scope>#<stamps>`. */
export function formatVersion(v: Version): string {
  return `${v.scope}#${formatStamps(v)}`;
}

/** Reads a stored version; a bare decimal (ledgers written before this scheme) is legacy. */
export function parseVersion(text: string): Version {
  const hash = text.lastIndexOf('#');
  if (hash < 0) return { scope: '', legacy: text };
  const stamps = parseStamps(text.slice(hash + 1));
  return stamps ? { scope: text.slice(0, hash), ...stamps } : { scope: '', legacy: text };
}

export function versionOfChange(origin: string, source: { environment?: string; table: string; id?: string }, version: string): Version {
  const stamps = parseStamps(version) ?? { legacy: version };
  return { scope: stamps.legacy !== undefined ? '' : scopeOf(origin, source), ...stamps };
}

/** How `a` orders against `b`, on the strongest scale both carry. */
export function compareVersions(a: Version, b: Version): Order {
  if (a.legacy !== undefined || b.legacy !== undefined) return a.legacy !== undefined && a.legacy === b.legacy ? 'same' : 'unknown';
  if (a.scope !== b.scope) return 'unknown';
  if (a.rv !== undefined && b.rv !== undefined) return a.rv > b.rv ? 'newer' : a.rv < b.rv ? 'older' : 'same';
  if (a.mt !== undefined && b.mt !== undefined) return a.mt > b.mt ? 'newer' : a.mt < b.mt ? 'older' : 'unknown';
  if (a.ext && b.ext) {
    if (a.ext.ms !== b.ext.ms) return a.ext.ms > b.ext.ms ? 'newer' : 'older';
    if (a.ext.producer !== b.ext.producer) return 'unknown';
    return a.ext.seq > b.ext.seq ? 'newer' : a.ext.seq < b.ext.seq ? 'older' : 'same';
  }
  return 'unknown';
}

/**
 * Order of a change against an applied state, with the delete rule: a Delete's stamps are those of
 * the row as it was just before the deletion (pre image, or the change-tracking token's version), so
 * a Delete is after an applied upsert it equals, and an upsert equal to an applied Delete is before it.
 */
export function orderChange(change: { version: Version; deleted: boolean }, applied: { version: Version; deleted: boolean }): Order {
  const o = compareVersions(change.version, applied.version);
  if (change.deleted === applied.deleted) return o;
  if (o === 'same') return change.deleted ? 'newer' : 'older';
  return o;
}
