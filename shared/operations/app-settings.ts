/**
 * App settings as the app sees them when run locally: `local.settings.json` Values, with environment
 * variables of the same name winning (Core Tools' rule). In Azure there is no file: pass `file: null`.
 */
import { existsSync, readFileSync } from 'fs';
import { resolve } from 'path';
import type { Env } from '../config/reader';

export class AppSettingsFileError extends Error {
  override name = 'AppSettingsFileError';
}

export interface AppSettingsSource {
  /** The settings file; undefined = ./local.settings.json when it exists; null = environment only. */
  file?: string | null;
  env?: Env;
  cwd?: string;
}

export interface AppSettings {
  env: Env;
  /** Where the settings came from, for reports: e.g. "local.settings.json + environment". */
  origin: string;
}

export function readAppSettings(source: AppSettingsSource = {}): AppSettings {
  const env = source.env ?? process.env;
  const cwd = source.cwd ?? process.cwd();
  const explicit = source.file !== undefined && source.file !== null;
  const path = source.file === null ? undefined : resolve(cwd, source.file ?? 'local.settings.json');
  if (!path || (!explicit && !existsSync(path))) return { env: { ...env }, origin: 'environment' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppSettingsFileError(
      code ? `Cannot read ${path} (${code}); pass --file with the path of your local.settings.json.` : `${path} is not valid JSON: ${(e as Error).message}.`,
    );
  }
  const values = (json as { Values?: unknown } | null)?.Values;
  if (values === undefined || values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new AppSettingsFileError(
      `${path} has no "Values" object; a local.settings.json looks like {"IsEncrypted": false, "Values": {"AzureWebJobsStorage": "…"}}.`,
    );
  }
  const out: Env = {};
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
    if (k.startsWith('//')) continue; // documentation entries of local.settings.sample.json
    if (typeof v !== 'string')
      throw new AppSettingsFileError(`${path}: Values.${k} is ${JSON.stringify(v)}; every app setting is a string (quote it, JSON settings as escaped text).`);
    out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return { env: out, origin: `${path} + environment` };
}
