/** The schema file format (JSON, validated with zod). See README.md "Schema file". */
import { z } from 'zod';

const name = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'use a lowercase logical name (letters, digits, _)');

export const keyStatusSchema = z.enum(['Active', 'Pending', 'InProgress', 'Failed']);
export type KeyStatus = z.infer<typeof keyStatusSchema>;

const base = { required: z.boolean().optional(), description: z.string().optional() };

export const columnSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), maxLength: z.number().int().positive().default(100), ...base, default: z.string().optional() }),
  z.object({ type: z.literal('memo'), maxLength: z.number().int().positive().default(2000), ...base }),
  z.object({ type: z.literal('int'), min: z.number().int().optional(), max: z.number().int().optional(), ...base, default: z.number().int().optional() }),
  z.object({ type: z.literal('bigint'), ...base }),
  z.object({ type: z.literal('decimal'), precision: z.number().int().min(0).max(10).default(2), ...base }),
  z.object({ type: z.literal('double'), ...base }),
  z.object({ type: z.literal('money'), precision: z.number().int().min(0).max(4).default(2), ...base }),
  z.object({ type: z.literal('bool'), ...base, default: z.boolean().optional() }),
  z.object({ type: z.literal('datetime'), dateOnly: z.boolean().default(false), ...base }),
  z.object({ type: z.literal('uniqueidentifier'), ...base }),
  z.object({
    type: z.literal('choice'),
    options: z.array(z.object({ value: z.number().int(), label: z.string() })).min(1),
    ...base,
    default: z.number().int().optional(),
  }),
  z.object({ type: z.literal('multichoice'), options: z.array(z.object({ value: z.number().int(), label: z.string() })).min(1), ...base }),
  z.object({
    type: z.enum(['lookup', 'customer', 'owner']),
    targets: z.array(name).min(1),
    /** Navigation property name per target. Defaults: the column name for one target, `<column>_<target>` for several. */
    navigation: z.record(z.string(), z.string()).optional(),
    /** Collection-valued navigation property on each target table pointing back here (1:N), e.g. account → contact_customer_accounts. */
    collectionNavigation: z.record(z.string(), z.string()).optional(),
    ...base,
  }),
]);
export type ColumnSpec = z.infer<typeof columnSpecSchema>;

export const keySpecSchema = z.object({
  name: z.string().min(1),
  columns: z.array(name).min(1).max(16),
  status: keyStatusSchema.default('Active'),
});
export type KeySpec = z.infer<typeof keySpecSchema>;

export const bulkMessageSchema = z.enum(['CreateMultiple', 'UpdateMultiple', 'UpsertMultiple', 'DeleteMultiple']);
export type BulkMessage = z.infer<typeof bulkMessageSchema>;

export const tableSpecSchema = z.object({
  logicalName: name,
  schemaName: z.string().optional(),
  entitySetName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  primaryId: name,
  primaryName: name.optional(),
  objectTypeCode: z.number().int().positive().optional(),
  ownership: z.enum(['UserOwned', 'OrganizationOwned', 'None']).default('UserOwned'),
  tableType: z.enum(['Standard', 'Elastic']).default('Standard'),
  changeTracking: z.boolean().default(false),
  bulkMessages: z.array(bulkMessageSchema).default([]),
  columns: z.record(name, columnSpecSchema),
  keys: z.array(keySpecSchema).max(10).default([]),
});
export type TableSpec = z.infer<typeof tableSpecSchema>;
export type TableSpecInput = z.input<typeof tableSpecSchema>;

export const relationshipSpecSchema = z.object({
  /** SchemaName of the N:N relationship, also the navigation property on both sides unless overridden. */
  name: z.string().min(1),
  entity1: name,
  entity2: name,
  entity1NavigationProperty: z.string().optional(),
  entity2NavigationProperty: z.string().optional(),
});
export type RelationshipSpec = z.infer<typeof relationshipSpecSchema>;

export const environmentSpecSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lowercase letters, digits and -'),
  uniqueName: z.string().optional(),
  organizationId: z.string().uuid().optional(),
  friendlyName: z.string().optional(),
});
export type EnvironmentSpec = z.infer<typeof environmentSpecSchema>;

export const schemaFileSchema = z.object({
  environments: z.array(environmentSpecSchema).min(1),
  /** Environment reachable at the bare `/api/data/v9.2/`; defaults to the first. */
  defaultEnvironment: z.string().optional(),
  tables: z.array(tableSpecSchema).min(1),
  relationships: z.array(relationshipSpecSchema).default([]),
});
export type SchemaFile = z.infer<typeof schemaFileSchema>;
export type SchemaFileInput = z.input<typeof schemaFileSchema>;
