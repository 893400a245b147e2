/**
 * The `$deltatoken` (Learn: use-change-tracking-synchronize-data-external-systems): `<versionnumber>!<MM/dd/yyyy HH:mm:ss>` in UTC,
 * e.g. `919042!08/22/2017 08:10:44`, URL-encoded in the delta link.
 */
import { DvError } from '../errors';

export interface DeltaToken {
  version: number;
  issuedAt: Date;
}

const two = (n: number): string => String(n).padStart(2, '0');

export function formatDeltaToken(version: number, at: Date): string {
  return `${version}!${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}/${at.getUTCFullYear()} ${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`;
}

/** [U] The answer to a token that is not in Dataverse's format is not documented; 400 InvalidArgument naming the expected form. */
export function parseDeltaToken(text: string, currentVersion: number): DeltaToken {
  const m = /^(\d+)!(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  const bad = (why: string): DvError =>
    new DvError(
      400,
      '0x80040203',
      `The $deltatoken '${text}' is not valid (${why}). Use the @odata.deltaLink exactly as returned; it looks like <version>!<MM/dd/yyyy HH:mm:ss>.`,
    );
  if (!m) throw bad('wrong format');
  const [, v, mo, d, y, h, mi, s] = m;
  const issuedAt = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Number.isNaN(issuedAt.getTime())) throw bad('bad date');
  const version = Number(v);
  if (version > currentVersion) throw bad('its version is newer than any change in this environment');
  return { version, issuedAt };
}
