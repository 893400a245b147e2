/**
 * The routes file: which source changes go where, and how they are written.
 * Validated once at startup (see ./load.ts); every error names the file, the route and the field.
 * Defaults are applied here and nowhere else.
 */
import { z } from 'zod';

const identifier = z.string().min(1).max(128);
/** Dataverse ids are GUID-shaped but not RFC 4122 versioned (e.g. 6d81597f-0f9f-e711-…), so z.uuid() would reject real ids. */
const guid = z.guid('must be a GUID (8-4-4-4-12 hex digits)');
const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column logical name (letters, digits, _)');

export const scopeSchema = z.enum(['User', 'BusinessUnit', 'ParentChildBusinessUnits', 'Organization']);
export const messageSchema = z.string().min(1); // Create, Update, Delete, SetState, Assign, custom messages…

/** A simple transform applied to one mapped value, in order. */
export const transformSchema = z.union([
  z.enum(['trim', 'upper', 'lower', 'nullIfEmpty', 'toString', 'toNumber', 'toBoolean', 'dateOnly']),
  z.object({ truncate: z.number().int().positive() }).strict(),
  z.object({ default: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).strict(),
  z
    .object({
      map: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      otherwise: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    })
    .strict(),
  z.object({ prefix: z.string() }).strict(),
]);

/** target column ← source column (string shorthand) or a constant / transformed value. */
export const columnMappingSchema = z.union([
  columnName,
  z
    .object({
      from: columnName.optional(),
      constant: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
      transforms: z.array(transformSchema).default([]),
    })
    .strict()
    .refine((m) => (m.from === undefined) !== (m.constant === undefined), { message: 'give exactly one of "from" or "constant"' }),
]);

/**
 * A lookup on the target, resolved by an alternate key of the referenced table (never by copying GUIDs
 * between environments). The key value comes from the source lookup: for a Dataverse source the
 * referenced row's id (so the parent table should carry the source id in a keyed column, e.g.
 * `dvs_sourceid`), or the named source column's value for external sources.
 */
export const lookupSchema = z
  .object({
    /** Source column holding the reference (EntityReference) or the key value. */
    from: columnName,
    /** Target navigation property per referenced target table (polymorphic lookups have several). */
    navigationProperty: z.union([z.string().min(1), z.record(identifier, z.string().min(1))]),
    /** Target table logical name → alternate key column(s) used to find the parent. */
    targetTable: z.union([identifier, z.array(identifier).min(1)]),
    key: z.array(columnName).min(1),
    /** Entity set of the referenced table (per table for polymorphic lookups); needed only when no route writes that table. */
    entitySet: z.union([identifier, z.record(identifier, identifier)]).optional(),
    /** What to do when the parent does not exist (yet). */
    missingParent: z.enum(['retry', 'dropLookup', 'fail']).default('retry'),
  })
  .strict();

export const routeSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    enabled: z.boolean().default(true),
    source: z
      .object({
        /** Configured environment name (see DVSYNC_ENVIRONMENTS); absent for external (ingest/import) sources. */
        environment: identifier.optional(),
        table: identifier,
        messages: z.array(messageSchema).min(1).default(['Create', 'Update', 'Delete']),
        scope: scopeSchema.default('Organization'),
        /** Update fires only when one of these columns is in the changed set (Dataverse "filtering attributes"). */
        filteringColumns: z.array(columnName).default([]),
        /** Columns carried to the worker (empty = all); the primary id and every column mappings, keys and lookups read are carried too (columns.ts). */
        selectColumns: z.array(columnName).default([]),
        /** Power Automate trigger conditions; all must be true (ANDed). */
        triggerConditions: z.array(z.string().min(1)).default([]),
        /** Fire only when at least one listed column's value really differs between the pre and post images. */
        onlyWhenValueChanged: z.array(columnName).default([]),
        /** Ignore events whose initiating user (or user) is one of these systemuser ids (e.g. our own app users). */
        ignoreUsers: z.array(guid).default([]),
        /** Ignore events carrying our own write tag (echo suppression in two-way sync). */
        ignoreOwnWrites: z.boolean().default(true),
        /** External (ingest/import) sources: the JSON schema-lite of accepted records. */
        recordColumns: z.record(columnName, z.enum(['string', 'number', 'integer', 'boolean', 'datetime', 'any'])).optional(),
        /**
         * "The flow owner" for scope (Power Automate compares the row's owner with the user who registered
         * the flow): the systemuser id for scope User, that user's business unit for BusinessUnit, plus
         * the descendant business units for ParentChildBusinessUnits (we do not read the BU tree at runtime).
         */
        ownerUserId: guid.optional(),
        ownerBusinessUnitId: guid.optional(),
        ownerChildBusinessUnitIds: z.array(guid).default([]),
        /** Incremental sync by Dataverse change tracking (shared/sync/README.md); off unless enabled. */
        sync: z
          .object({
            enabled: z.boolean().default(false),
            /** Rows per change-tracking page (Dataverse maximum 5,000). */
            pageSize: z.number().int().min(1).max(5000).default(5000),
            /** Web API column names to track ($select; lookups as _x_value); empty = all columns. */
            select: z.array(columnName).default([]),
          })
          .strict()
          .optional(),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.scope === 'User' && !s.ownerUserId)
          ctx.addIssue({ code: 'custom', path: ['ownerUserId'], message: 'scope "User" needs ownerUserId (the systemuser id whose rows count)' });
        if ((s.scope === 'BusinessUnit' || s.scope === 'ParentChildBusinessUnits') && !s.ownerBusinessUnitId)
          ctx.addIssue({
            code: 'custom',
            path: ['ownerBusinessUnitId'],
            message: `scope "${s.scope}" needs ownerBusinessUnitId (the owner's business unit id)`,
          });
      }),
    target: z
      .object({
        /** The sink that writes this route (shared/sinks/index.ts); default "dataverse". */
        sink: identifier.optional(),
        environment: identifier,
        table: identifier,
        /** Entity set name of the target table (e.g. "accounts"). */
        entitySet: identifier,
        /** Alternate key columns used to address the target row; their values come from the mapped columns. */
        key: z.array(columnName).min(1),
        mode: z.enum(['upsert', 'updateOnly', 'createOnly']).default('upsert'),
        columns: z.record(columnName, columnMappingSchema).default({}),
        lookups: z.array(lookupSchema).default([]),
        /** What a source Delete does on the target. */
        onDelete: z.enum(['delete', 'deactivate', 'ignore']).default('delete'),
        /** Routes whose writes must land before this route's in one batch (added to those implied by lookups). */
        dependsOn: z.array(z.string()).default([]),
        /** Write only columns whose value changed since the last applied write (ledger hash per column). */
        skipUnchanged: z.boolean().default(true),
      })
      .strict(),
  })
  .strict();

export const routesFileSchema = z
  .object({
    $schema: z.string().optional(),
    routes: z.array(routeSchema).min(1),
  })
  .strict();

export type Route = z.infer<typeof routeSchema>;
export type RoutesFile = z.infer<typeof routesFileSchema>;
export type ColumnMapping = z.infer<typeof columnMappingSchema>;
export type Lookup = z.infer<typeof lookupSchema>;
export type Transform = z.infer<typeof transformSchema>;
