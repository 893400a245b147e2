/** Minimal `--name value` / `--flag` parsing for the operator commands, with usage errors that say what was wrong. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = Record<string, 'string' | 'boolean' | 'integer'>;
export type FlagValues = Record<string, string | boolean | number | undefined>;

export function parseFlags(argv: readonly string[], spec: FlagSpec): FlagValues {
  const out: FlagValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq > 0 ? eq : undefined) : undefined;
    const type = name === undefined ? undefined : spec[name];
    if (name === undefined || type === undefined)
      throw new UsageError(
        `unexpected argument "${arg}"; options: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    if (type === 'boolean') {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    if (type === 'integer') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} expects a whole number ≥ 1, got "${value}"`);
      out[name] = Number(value);
    } else out[name] = value;
  }
  return out;
}
