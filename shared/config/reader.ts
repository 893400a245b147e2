/**
 * Reads app settings with every problem collected (not just the first) so one startup report can say,
 * for each missing or invalid setting, what to put there. Each read also registers the setting in
 * the catalogue, so documentation (local.settings.sample.json) is checked against what the code reads.
 */
import type { z } from 'zod';

export type Env = Record<string, string | undefined>;

export interface SettingIssue {
  setting: string;
  problem: string;
  /** What to put there (an example or the accepted format). */
  fix: string;
}

export interface SettingDoc {
  name: string;
  section: string;
  description: string;
  /** The default when unset (absent = required or optional without default). */
  default?: string;
  example?: string;
}

export class SettingsError extends Error {
  constructor(readonly issues: SettingIssue[]) {
    super(`${issues.length} app setting(s) missing or invalid:\n` + issues.map((i) => `  - ${i.setting}: ${i.problem}. Set it to ${i.fix}.`).join('\n'));
    this.name = 'SettingsError';
  }
}

export class SettingsReader {
  readonly issues: SettingIssue[] = [];
  constructor(
    readonly env: Env,
    readonly section: string,
    private readonly catalogue: SettingDoc[],
  ) {}

  private doc(d: Omit<SettingDoc, 'section'>): void {
    if (!this.catalogue.some((c) => c.name === d.name)) this.catalogue.push({ ...d, section: this.section });
  }

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  }

  issue(setting: string, problem: string, fix: string): void {
    this.issues.push({ setting, problem, fix });
  }

  /** `secret`: the value may hold a key, so a problem report (also served by the anonymous /api/health) never repeats it. */
  string(name: string, o: { description: string; default: string; example?: string; pattern?: RegExp; fix?: string; secret?: boolean }): string;
  string(name: string, o: { description: string; required: true; example: string; pattern?: RegExp; fix?: string; secret?: boolean }): string | undefined;
  string(name: string, o: { description: string; example?: string; pattern?: RegExp; fix?: string; secret?: boolean }): string | undefined;
  string(
    name: string,
    o: { description: string; default?: string; required?: boolean; example?: string; pattern?: RegExp; fix?: string; secret?: boolean },
  ): string | undefined {
    this.doc({ name, description: o.description, ...(o.default !== undefined ? { default: o.default } : {}), ...(o.example ? { example: o.example } : {}) });
    const v = this.raw(name);
    if (v === undefined) {
      if (o.required) this.issue(name, 'is missing', o.fix ?? o.example ?? 'a value');
      return o.default;
    }
    if (o.pattern && !o.pattern.test(v)) {
      this.issue(name, o.secret ? 'is not valid (the value is not shown: it may hold a key)' : `"${v}" is not valid`, o.fix ?? `a value like ${o.example}`);
      return o.default;
    }
    return v;
  }

  integer(name: string, o: { description: string; default: number; min: number; max: number }): number {
    this.doc({ name, description: o.description, default: String(o.default) });
    const v = this.raw(name);
    if (v === undefined) return o.default;
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < o.min || n > o.max) {
      this.issue(name, `"${v}" is not a whole number from ${o.min} to ${o.max}`, `a whole number from ${o.min} to ${o.max} (default ${o.default})`);
      return o.default;
    }
    return n;
  }

  json<T>(name: string, schema: z.ZodType<T>, o: { description: string; required?: boolean; example: string }): T | undefined {
    this.doc({ name, description: o.description, example: o.example });
    const v = this.raw(name);
    if (v === undefined) {
      if (o.required) this.issue(name, 'is missing', `JSON like ${o.example}`);
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      this.issue(name, `is not valid JSON (${(e as Error).message})`, `JSON like ${o.example}`);
      return undefined;
    }
    const r = schema.safeParse(parsed);
    if (!r.success) {
      for (const i of r.error.issues) this.issue(name, `at ${i.path.join('.') || '(root)'}: ${i.message}`, `JSON like ${o.example}`);
      return undefined;
    }
    return r.data;
  }
}
