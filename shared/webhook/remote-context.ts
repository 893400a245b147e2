/**
 * The RemoteExecutionContext Dataverse posts to a webhook (and puts on Service Bus with messageformat Json).
 * Unknown keys are tolerated (new fields keep appearing) and most keys may be missing (a payload over
 * 256 KB loses InputParameters, ParentContext and the images). Only what we route on is required.
 * Value-level checks (EntityReference, OptionSetValue, …) happen in ./values.ts, with the same path format.
 */
import { z } from 'zod';

/** Dataverse GUIDs are not RFC 4122 versioned (e.g. 6d81597f-0f9f-e711-…), so only the shape is checked. */
export const guid = z.guid('expected a GUID (8-4-4-4-12 hex digits)');
const int = z.number().int();

export const keyValueSchema = z.looseObject({ key: z.string(), value: z.unknown() });
export const keyValueArray = z.array(keyValueSchema);

export const entitySchema = z.looseObject({
  __type: z.string().optional(),
  LogicalName: z.string().min(1),
  Id: guid.optional(),
  Attributes: keyValueArray,
  FormattedValues: z.array(z.looseObject({ key: z.string(), value: z.string().nullable() })).optional(),
  KeyAttributes: keyValueArray.optional(),
  RowVersion: z.string().nullable().optional(),
});

export const entityReferenceSchema = z.looseObject({
  __type: z.string().optional(),
  Id: guid,
  LogicalName: z.string().min(1),
  Name: z.string().nullable().optional(),
  KeyAttributes: keyValueArray.optional(),
  RowVersion: z.string().nullable().optional(),
});

export const remoteContextSchema = z.looseObject({
  MessageName: z.string().min(1),
  PrimaryEntityName: z.string().min(1),
  PrimaryEntityId: guid,
  OrganizationId: guid,
  OrganizationName: z.string().optional(),
  BusinessUnitId: guid.optional(),
  CorrelationId: guid.optional(),
  OperationId: guid.optional(),
  RequestId: guid.nullable().optional(),
  UserId: guid.optional(),
  InitiatingUserId: guid.optional(),
  Depth: int.optional(),
  Mode: int.optional(),
  Stage: int.optional(),
  OperationCreatedOn: z.string().optional(),
  InputParameters: keyValueArray.optional(),
  OutputParameters: keyValueArray.optional(),
  SharedVariables: keyValueArray.optional(),
  PreEntityImages: z.array(z.looseObject({ key: z.string(), value: entitySchema })).optional(),
  PostEntityImages: z.array(z.looseObject({ key: z.string(), value: entitySchema })).optional(),
  OwningExtension: z.looseObject({ Id: guid, Name: z.string().nullable().optional() }).nullable().optional(),
  // Not relied upon (order not guaranteed, stripped over 256 KB); kept for diagnostics only.
  ParentContext: z.unknown().optional(),
});

export type RemoteContext = z.infer<typeof remoteContextSchema>;
export type WireEntity = z.infer<typeof entitySchema>;
export type WireEntityReference = z.infer<typeof entityReferenceSchema>;
