/** Load and validate a schema file, with errors that name the file, table and column. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extraTables } from '../handlers';
import { buildSchema, SchemaError, type Schema } from './model';
import { schemaFileSchema, tableSpecSchema, type SchemaFile } from './spec';

export const DEFAULT_SCHEMA_FILE = path.join(__dirname, '..', 'schemas', 'default.json');

/** Resolve the default schema next to the compiled file or in the source tree (tests run from source). */
function defaultSchemaPath(): string {
  const candidates = [DEFAULT_SCHEMA_FILE, path.join(__dirname, '..', '..', '..', '..', 'emulators', 'dataverse', 'schemas', 'default.json')];
  return (
    candidates.find((c) => {
      try {
        readFileSync(c);
        return true;
      } catch {
        return false;
      }
    }) ?? DEFAULT_SCHEMA_FILE
  );
}

export function parseSchemaFile(json: unknown, source: string): SchemaFile {
  const r = schemaFileSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => {
      const p = i.path;
      let where = p.join('.');
      if (p[0] === 'tables' && typeof p[1] === 'number') {
        const t = (json as { tables?: Array<{ logicalName?: string }> }).tables?.[p[1]];
        where = `table "${t?.logicalName ?? `#${p[1]}`}"${p[2] === 'columns' && p[3] ? `, column "${String(p[3])}"` : ''}${p.length > 2 && p[2] !== 'columns' ? `, ${p.slice(2).join('.')}` : p.length > 4 ? `, ${p.slice(4).join('.')}` : ''}`;
      }
      return `${where || '(root)'}: ${i.message}`;
    });
    throw new SchemaError(`${source}: invalid schema: ${issues.join('; ')}`);
  }
  return r.data;
}

export interface LoadedSchema {
  file: SchemaFile;
  source: string;
  /** A fresh resolved schema (each environment gets its own, so key index status is per environment). */
  build(): Schema;
}

export function loadSchema(file?: string): LoadedSchema {
  const source = file ?? defaultSchemaPath();
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (e) {
    throw new SchemaError(`${source}: cannot read the schema file (${(e as Error).message}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SchemaError(`${source}: not valid JSON (${(e as Error).message}).`);
  }
  const parsed = parseSchemaFile(json, source);
  const extras = extraTables.map((t) => tableSpecSchema.parse(t));
  buildSchema(parsed, source, extras); // fail fast on cross-reference errors
  return { file: parsed, source, build: () => buildSchema(parsed, source, extras) };
}
