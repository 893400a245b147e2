/**
 * Emitted RemoteExecutionContexts against the real captured payloads in
 * test/fixtures/dataverse-webhook: inputs are rebuilt from each fixture's own data, the
 * output is compared key order, `__type` presence, value kinds, date formats and values.
 */
import { contextForEvent, type DeliveryFacts } from '../../../../../emulators/dataverse/webhooks/event-context';
import type { StepRegistration } from '../../../../../emulators/dataverse/webhooks/registrations';
import { serializeRemoteExecutionContext } from '../../../../../emulators/dataverse/webhooks/serialize';
import { entityJson, writeJson, ref, option } from '../../../../../emulators/dataverse/webhooks/xrm';
import { environmentWith, fixture, kvKeys, kvMap, quietContext, rowFromAttributes, shape, writeEvent, type J } from './fixture-helpers';

const account = {
  logicalName: 'account',
  entitySetName: 'accounts',
  primaryId: 'accountid',
  primaryName: 'name',
  columns: { name: { type: 'string' as const }, telephone1: { type: 'string' as const } },
};
const stateCols = {
  statecode: {
    type: 'choice' as const,
    options: [
      { value: 0, label: 'Active' },
      { value: 1, label: 'Inactive' },
    ],
  },
  statuscode: {
    type: 'choice' as const,
    options: [
      { value: 1, label: 'Active' },
      { value: 2, label: 'Inactive' },
    ],
  },
};

function step(p: Partial<StepRegistration> & Pick<StepRegistration, 'id' | 'mode'>): StepRegistration {
  return {
    name: 'step',
    message: 'Create',
    table: 'x',
    stage: 40,
    rank: 1,
    asyncAutoDelete: false,
    images: [],
    endpoint: { id: 'e', name: 'e', url: 'http://localhost/', authType: 4, auth: [] },
    ...p,
  };
}

function facts(p: Partial<DeliveryFacts> = {}): DeliveryFacts {
  return {
    operationId: '45bfc2a7-903e-eb11-a813-000d3ad9c2e1',
    stepTime: new Date(0),
    serverUtcOffsetMinutes: 0,
    userUtcOffsetMinutes: 0,
    extras: { userAgent: '', suppressDuplicateDetection: false },
    changedEntityTypes: [],
    ...p,
  };
}

/** Every key of `fixtureKeys` is in `ours`, in the same relative order. */
function expectSubsequence(fixtureKeys: string[], ours: string[]): void {
  const positions = fixtureKeys.map((k) => ours.indexOf(k));
  expect(positions.filter((p) => p < 0).map((_, i) => fixtureKeys[i])).toEqual([]);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
}

/** DataContract order: ordinal-alphabetical PascalCase keys. */
function expectContractOrder(obj: J): void {
  const keys = Object.keys(obj);
  expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('RemoteExecutionContext vs fixture 5 (async Create, all column types)', () => {
  const fx = fixture('create-albxrm_alltypes-async-alltypes.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  const opts = (labels: string[], base: number) => labels.map((label, i) => ({ value: base + i, label }));
  const env = environmentWith(
    [
      account,
      {
        logicalName: 'albxrm_alltypes',
        entitySetName: 'albxrm_alltypeses',
        primaryId: 'albxrm_alltypesid',
        primaryName: 'albxrm_name',
        columns: {
          albxrm_name: { type: 'string' },
          albxrm_twooptions: { type: 'bool' },
          albxrm_wholenumber: { type: 'int' },
          albxrm_float: { type: 'double' },
          albxrm_decimal: { type: 'decimal', precision: 2 },
          albxrm_currency: { type: 'money' },
          albxrm_dateandtime: { type: 'datetime' },
          albxrm_multiplelinesoftext: { type: 'memo' },
          albxrm_optionset: { type: 'choice', options: opts(['Value 1', 'Value 2', 'Value 3'], 257760000) },
          // the multi-select has its own option set (fixture: 257760001 → "Value 1")
          albxrm_multiselectoptionset: { type: 'multichoice', options: opts(['Value 0', 'Value 1', 'Value 2'], 257760000) },
          albxrm_lookupaccount: { type: 'lookup', targets: ['account'] },
          albxrm_customer: { type: 'customer', targets: ['account'] },
          timezoneruleversionnumber: { type: 'int' },
          ...stateCols,
        },
      },
    ],
    { organizationId: fx.OrganizationId, uniqueName: fx.OrganizationName, businessUnitId: fx.BusinessUnitId },
  );
  const row = rowFromAttributes(fxTarget.Attributes, ['transactioncurrencyid', 'exchangerate', 'albxrm_currency_base', 'modifiedonbehalfby']);
  const event = writeEvent(env, {
    message: 'Create',
    table: 'albxrm_alltypes',
    id: fx.PrimaryEntityId,
    postImage: row,
    changedColumns: Object.keys(row),
    userId: fx.UserId,
    correlationId: fx.CorrelationId,
    requestId: fx.RequestId,
    operationTime: new Date(1608007658000),
  });
  const input = contextForEvent(env, event, step({ id: fx.OwningExtension.Id, mode: 1 }), facts({ operationId: fx.OperationId, userUtcOffsetMinutes: 60 }))!;
  const text = serializeRemoteExecutionContext(input);
  const ours = JSON.parse(text);
  const target = kvMap(ours.InputParameters).get('Target');

  it('has the fixture top-level keys in DataContract order', () => {
    expectSubsequence(Object.keys(fx), Object.keys(ours));
    expectContractOrder(ours);
    expectContractOrder(ours.ParentContext);
  });

  it('matches the top-level scalar fields', () => {
    for (const k of [
      'BusinessUnitId',
      'CorrelationId',
      'Depth',
      'InitiatingUserId',
      'IsExecutingOffline',
      'IsInTransaction',
      'IsOfflinePlayback',
      'IsolationMode',
      'MessageName',
      'Mode',
      'OperationCreatedOn',
      'OperationId',
      'OrganizationId',
      'OrganizationName',
      'OwningExtension',
      'PrimaryEntityId',
      'PrimaryEntityName',
      'RequestId',
      'SecondaryEntityName',
      'Stage',
      'UserId',
      'OutputParameters',
      'SharedVariables',
    ]) {
      expect([k, ours[k]]).toEqual([k, fx[k]]);
    }
  });

  it('emits every Target attribute with the fixture kind, __type and value', () => {
    expect(shape(target).__type).toBe(fxTarget.__type);
    expect(Object.keys(target)).toEqual(Object.keys(fxTarget));
    const mine = kvMap(target.Attributes);
    for (const a of fxTarget.Attributes) {
      expect([a.key, shape(mine.get(a.key))]).toEqual([a.key, shape(a.value)]);
      if (a.key !== 'transactioncurrencyid') expect([a.key, mine.get(a.key)]).toEqual([a.key, a.value]);
    }
  });

  it('formats values like Dataverse (labels, grouping, user-zone dates)', () => {
    const mine = kvMap(target.FormattedValues);
    for (const f of fxTarget.FormattedValues) {
      if (f.key === 'albxrm_currency') {
        expect(typeof mine.get(f.key)).toBe('string');
        continue;
      } // published as mojibake
      expect([f.key, mine.get(f.key)]).toEqual([f.key, f.value]);
    }
  });

  it('prints slashes escaped, control characters as \\u00xx and exchangerate with its scale', () => {
    expect(text).toContain('"__type":"Entity:http:\\/\\/schemas.microsoft.com\\/xrm\\/2011\\/Contracts"');
    expect(text).toContain('"sdafasf\\u000aasdfas\\u000aafsd"');
    expect(text).toContain('{"key":"exchangerate","value":1.0000000000}');
    expect(text).toContain('"OperationCreatedOn":"\\/Date(1608007658000+0000)\\/"');
  });

  it('adds the AsynchronousStepPrimaryName post image without __type', () => {
    expect(ours.PostEntityImages).toEqual(fx.PostEntityImages);
    expect(ours.PreEntityImages).toEqual([]);
  });

  it('has a stage-30 parent with the caller columns, the same step and shared variables', () => {
    const p = ours.ParentContext;
    expectSubsequence(Object.keys(fx.ParentContext), Object.keys(p));
    expect(p.Stage).toBe(30);
    expect(p.OwningExtension).toEqual(fx.ParentContext.OwningExtension);
    expect(kvKeys(p.InputParameters)).toEqual(kvKeys(fx.ParentContext.InputParameters));
    expect(p.SharedVariables).toEqual(fx.ParentContext.SharedVariables);
    expect(p.ParentContext).toBeNull();
    const attrs = kvKeys(kvMap(p.InputParameters).get('Target').Attributes);
    expect(attrs[attrs.length - 1]).toBe('albxrm_alltypesid');
    for (const k of ['createdon', 'modifiedon', 'createdby', 'modifiedby', 'owningbusinessunit']) expect(attrs).not.toContain(k);
    const fxParentAttrs = kvKeys(kvMap(fx.ParentContext.InputParameters).get('Target').Attributes).filter((k) => k !== 'transactioncurrencyid');
    for (const k of fxParentAttrs) expect(attrs).toContain(k);
  });
});

describe('RemoteExecutionContext vs fixture 6 (sync Create, all types, user zone +02:00)', () => {
  const fx = fixture('create-shko_allfields-sync-alltypes.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  const env = environmentWith(
    [
      {
        logicalName: 'shko_allfields',
        entitySetName: 'shko_allfieldses',
        primaryId: 'shko_allfieldsid',
        primaryName: 'shko_name',
        columns: {
          shko_name: { type: 'string' },
          shko_string: { type: 'string' },
          shko_integer: { type: 'int' },
          shko_decimal: { type: 'decimal', precision: 2 },
          shko_currency: { type: 'money' },
          shko_datetime: { type: 'datetime' },
          shko_boolean: { type: 'bool' },
          timezoneruleversionnumber: { type: 'int' },
          shko_choice: {
            type: 'choice',
            options: [
              { value: 342490000, label: 'Zero' },
              { value: 342490001, label: 'One' },
              { value: 342490002, label: 'Two' },
            ],
          },
          shko_choices: {
            type: 'multichoice',
            options: [
              { value: 342490000, label: 'Zero' },
              { value: 342490001, label: 'One' },
              { value: 342490002, label: 'Two' },
            ],
          },
          shko_lookup: { type: 'lookup', targets: ['systemuser'] },
          ...stateCols,
        },
      },
    ],
    { organizationId: fx.OrganizationId, uniqueName: fx.OrganizationName, businessUnitId: fx.BusinessUnitId },
  );
  env.create(quietContext(env, fx.UserId), 'systemuser', {
    systemuserid: fx.UserId,
    fullname: 'Betim',
    azureactivedirectoryobjectid: fx.UserAzureActiveDirectoryObjectId,
  });
  const row = rowFromAttributes(fxTarget.Attributes, ['transactioncurrencyid', 'exchangerate', 'shko_currency_base', 'modifiedonbehalfby']);
  const event = writeEvent(env, {
    message: 'Create',
    table: 'shko_allfields',
    id: fx.PrimaryEntityId,
    postImage: row,
    changedColumns: Object.keys(row),
    userId: fx.UserId,
    correlationId: fx.CorrelationId,
    operationTime: new Date(1697398445918),
  });
  const input = contextForEvent(
    env,
    event,
    step({ id: fx.OwningExtension.Id, name: fx.OwningExtension.Name, mode: 0 }),
    facts({
      operationId: fx.OperationId,
      stepTime: new Date(1697398446012),
      userUtcOffsetMinutes: 120,
      extras: { userAgent: '', acceptLanguage: 'en-US,en;q=0.9', suppressDuplicateDetection: false },
      changedEntityTypes: [],
    }),
  )!;
  const ours = JSON.parse(serializeRemoteExecutionContext(input));
  const target = kvMap(ours.InputParameters).get('Target');

  it('has exactly the fixture top-level keys, in order, and the sync-only values', () => {
    expect(Object.keys(ours)).toEqual(Object.keys(fx));
    for (const k of [
      'IsInTransaction',
      'Mode',
      'Stage',
      'OperationCreatedOn',
      'OperationId',
      'RequestId',
      'OwningExtension',
      'OutputParameters',
      'InitiatingUserAgent',
      'UserAzureActiveDirectoryObjectId',
      'InitiatingUserAzureActiveDirectoryObjectId',
    ]) {
      expect([k, ours[k]]).toEqual([k, fx[k]]);
    }
    expect(ours.ParentContext.OperationCreatedOn).toBe(fx.ParentContext.OperationCreatedOn);
    expect(ours.ParentContext.OwningExtension.Name).toBe('ObjectModel Implementation');
  });

  it('emits multi-select as a bare OptionSetValue array, money, decimals and dates as in the fixture', () => {
    const mine = kvMap(target.Attributes);
    for (const a of fxTarget.Attributes) {
      expect([a.key, shape(mine.get(a.key))]).toEqual([a.key, shape(a.value)]);
      if (a.key !== 'transactioncurrencyid') expect([a.key, mine.get(a.key)]).toEqual([a.key, a.value]);
    }
  });

  it('formats in the user zone (+02:00), labels joined with "; "', () => {
    const mine = kvMap(target.FormattedValues);
    for (const f of fxTarget.FormattedValues) {
      if (f.key === 'shko_currency') continue; // published as mojibake
      expect([f.key, mine.get(f.key)]).toEqual([f.key, f.value]);
    }
  });

  it('shared variables: IsAutoTransact, AcceptLang, DefaultsAddedFlag; no images on a sync step without registrations', () => {
    expect(kvKeys(ours.SharedVariables)).toEqual(kvKeys(fx.SharedVariables).filter((k) => k !== 'x-ms-app-name'));
    expect(kvMap(ours.SharedVariables).get('AcceptLang')).toBe('en-US,en;q=0.9');
    expect(ours.PostEntityImages).toEqual([]);
  });
});

describe('RemoteExecutionContext vs fixture 9 (sync Create, UTC formatted dates, non-ASCII)', () => {
  const fx = fixture('create-account-sync-nonascii-mojibake.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  it('prints UTC user-zone dates with -00:00 and keeps non-ASCII text as UTF-8', () => {
    const env = environmentWith([{ ...account, columns: { ...account.columns, new_name: { type: 'string' }, ...stateCols } }]);
    const row = {
      accountid: fx.PrimaryEntityId,
      name: 'АаБбВв',
      new_name: 'Ģārūmž',
      createdon: '2024-11-08T08:05:06Z',
      modifiedon: '2024-11-08T08:05:06Z',
      statecode: 0,
    };
    const event = writeEvent(env, { message: 'Create', table: 'account', id: fx.PrimaryEntityId, postImage: row, changedColumns: Object.keys(row) });
    const text = serializeRemoteExecutionContext(contextForEvent(env, event, step({ id: 's', mode: 0 }), facts())!);
    const formatted = kvMap(kvMap(JSON.parse(text).InputParameters).get('Target').FormattedValues);
    expect(formatted.get('createdon')).toBe(kvMap(fxTarget.FormattedValues).get('createdon'));
    expect(formatted.get('statecode')).toBe(kvMap(fxTarget.FormattedValues).get('statecode'));
    expect(text).toContain('"АаБбВв"');
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
  });
});

describe('RemoteExecutionContext vs fixture 1 (async Update, -0700 server zone)', () => {
  const fx = fixture('update-contact-async-postimage-msdocs.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  const env = environmentWith(
    [
      {
        logicalName: 'contact',
        entitySetName: 'contacts',
        primaryId: 'contactid',
        primaryName: 'fullname',
        columns: { fullname: { type: 'string' }, firstname: { type: 'string' } },
      },
    ],
    { organizationId: fx.OrganizationId, uniqueName: fx.OrganizationName, businessUnitId: fx.BusinessUnitId },
  );
  const post = { ...rowFromAttributes(fxTarget.Attributes, ['modifiedonbehalfby', 'yomifullname']), createdon: '2017-09-01T00:00:00Z' };
  const event = writeEvent(env, {
    message: 'Update',
    table: 'contact',
    id: fx.PrimaryEntityId,
    preImage: { ...post, firstname: 'Jim' },
    postImage: post,
    changedColumns: ['firstname', 'modifiedon', 'modifiedby', 'versionnumber'],
    userId: fx.UserId,
    operationTime: new Date(1506384248000),
  });
  const ours = JSON.parse(
    serializeRemoteExecutionContext(
      contextForEvent(
        env,
        event,
        step({ id: fx.OwningExtension.Id, mode: 1, message: 'Update' }),
        facts({ operationId: fx.OperationId, serverUtcOffsetMinutes: -420 }),
      )!,
    ),
  );
  const target = kvMap(ours.InputParameters).get('Target');

  it('shifts async OperationCreatedOn by the server offset exactly as the docs sample', () => {
    expect(ours.OperationCreatedOn).toBe(fx.OperationCreatedOn);
    expect(ours.ParentContext.OperationCreatedOn).toBe(fx.ParentContext.OperationCreatedOn);
  });

  it('Update Target: changed columns, primary id, then modifiedon/modifiedby/modifiedonbehalfby; no formatted values', () => {
    expectSubsequence(kvKeys(target.Attributes), kvKeys(fxTarget.Attributes));
    const mine = kvMap(target.Attributes);
    for (const a of fxTarget.Attributes) if (mine.has(a.key)) expect([a.key, mine.get(a.key)]).toEqual([a.key, a.value]);
    expect(target.FormattedValues).toEqual([]);
    expect(Object.keys(target)).toEqual(Object.keys(fxTarget));
  });

  it('parent Target holds the changed column and the id; OwningExtension has no __type and a null Name', () => {
    expect(kvMap(ours.ParentContext.InputParameters).get('Target').Attributes).toEqual(kvMap(fx.ParentContext.InputParameters).get('Target').Attributes);
    expect(ours.OwningExtension).toEqual(fx.OwningExtension);
    expect(ours.PostEntityImages).toEqual(fx.PostEntityImages);
    expect(ours.OutputParameters).toEqual([]);
  });
});

describe('RemoteExecutionContext vs fixture 4 (sync Update)', () => {
  const fx = fixture('update-account-sync-postoperation.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  const env = environmentWith([account], { organizationId: fx.OrganizationId, uniqueName: fx.OrganizationName, businessUnitId: fx.BusinessUnitId });
  const post = { ...rowFromAttributes(fxTarget.Attributes, ['modifiedonbehalfby']), name: 'A', createdon: '2018-05-01T00:00:00Z' };
  const event = writeEvent(env, {
    message: 'Update',
    table: 'account',
    id: fx.PrimaryEntityId,
    preImage: post,
    postImage: post,
    changedColumns: ['telephone1', 'modifiedon', 'modifiedby', 'versionnumber'],
    userId: fx.UserId,
    correlationId: fx.CorrelationId,
  });
  const ours = JSON.parse(
    serializeRemoteExecutionContext(
      contextForEvent(
        env,
        event,
        step({ id: fx.OwningExtension.Id, name: fx.OwningExtension.Name, mode: 0, message: 'Update' }),
        facts({
          operationId: fx.OperationId,
          changedEntityTypes: [['account', 'Update']],
        }),
      )!,
    ),
  );

  it('Target equals the fixture Target exactly', () => {
    expect(kvMap(ours.InputParameters).get('Target')).toEqual(fxTarget);
    expect(ours.InputParameters).toEqual(fx.InputParameters);
  });

  it('sync: in transaction, named step, RequestId = OperationId, parent run by ObjectModel Implementation with ChangedEntityTypes', () => {
    for (const k of ['IsInTransaction', 'Mode', 'Stage', 'OwningExtension', 'RequestId', 'OperationId', 'MessageName'])
      expect([k, ours[k]]).toEqual([k, fx[k]]);
    expect(ours.ParentContext.OwningExtension).toEqual(fx.ParentContext.OwningExtension);
    expect(ours.ParentContext.InputParameters).toEqual(fx.ParentContext.InputParameters);
    expect(kvMap(ours.ParentContext.SharedVariables).get('ChangedEntityTypes')).toEqual(kvMap(fx.ParentContext.SharedVariables).get('ChangedEntityTypes'));
    expect(ours.OperationCreatedOn).toMatch(/^\/Date\(\d+\)\/$/);
  });
});

describe('RemoteExecutionContext vs fixture 8 (async Create, registered post image + primary name image, +0200)', () => {
  const fx = fixture('create-sharepointdocumentlocation-async-postimage.json');
  const fxTarget = kvMap(fx.InputParameters).get('Target');
  const fxImage = kvMap(fx.PostEntityImages).get('PostImage');
  const env = environmentWith(
    [
      account,
      {
        logicalName: 'sharepointdocumentlocation',
        entitySetName: 'sharepointdocumentlocations',
        primaryId: 'sharepointdocumentlocationid',
        primaryName: 'name',
        columns: {
          name: { type: 'string' },
          relativeurl: { type: 'string' },
          sitecollectionid: { type: 'uniqueidentifier' },
          regardingobjectid: { type: 'lookup', targets: ['account'] },
          parentsiteorlocation: { type: 'lookup', targets: ['sharepointdocumentlocation'] },
          locationtype: { type: 'choice', options: [{ value: 0, label: 'General' }] },
          servicetype: { type: 'choice', options: [{ value: 0, label: 'SharePoint' }] },
          ...stateCols,
        },
      },
    ],
    { organizationId: fx.OrganizationId, uniqueName: fx.OrganizationName, businessUnitId: fx.BusinessUnitId },
  );
  const ctx = quietContext(env, fx.UserId);
  env.create(ctx, 'systemuser', { systemuserid: fx.UserId, fullname: 'Name' });
  env.create(ctx, 'account', { accountid: '0a3839b3-08d4-ef11-aeb0-00155d000101', name: 'Mini test' });
  env.create(ctx, 'sharepointdocumentlocation', { sharepointdocumentlocationid: '90fe6740-1cc1-e211-be17-000c29fb9e40', name: 'account' });
  const row = rowFromAttributes(fxTarget.Attributes, ['modifiedonbehalfby', 'owninguser']);
  const event = writeEvent(env, {
    message: 'Create',
    table: 'sharepointdocumentlocation',
    id: fx.PrimaryEntityId,
    postImage: row,
    changedColumns: Object.keys(row),
    operationTime: new Date(1737031936000),
  });
  const attrs = kvKeys(fxImage.Attributes);
  const ours = JSON.parse(
    serializeRemoteExecutionContext(
      contextForEvent(
        env,
        event,
        step({
          id: fx.OwningExtension.Id,
          mode: 1,
          images: [{ id: 'i', alias: 'PostImage', imageType: 1, attributes: attrs }],
        }),
        facts({ operationId: fx.OperationId, serverUtcOffsetMinutes: 120, userUtcOffsetMinutes: 120 }),
      )!,
    ),
  );

  it('registered image first, then AsynchronousStepPrimaryName; images carry lookup names and formatted values', () => {
    expect(kvKeys(ours.PostEntityImages)).toEqual(kvKeys(fx.PostEntityImages));
    expect(kvMap(ours.PostEntityImages).get('PostImage')).toEqual(fxImage);
    expect(kvMap(ours.PostEntityImages).get('AsynchronousStepPrimaryName')).toEqual(kvMap(fx.PostEntityImages).get('AsynchronousStepPrimaryName'));
  });

  it('OperationCreatedOn carries +0200 and the shifted ms', () => {
    expect(ours.OperationCreatedOn).toBe(fx.OperationCreatedOn);
  });

  it('Target has every fixture attribute with the same value (owninguser and modifiedonbehalfby added by the platform)', () => {
    const mine = kvMap(kvMap(ours.InputParameters).get('Target').Attributes);
    for (const a of fxTarget.Attributes) expect([a.key, mine.get(a.key)]).toEqual([a.key, a.value]);
  });
});

describe('RemoteExecutionContext vs fixture 7 (SetState as Update, pre image with activity parties)', () => {
  const fx = fixture('update-new_customactivity-async-setstate-preimage-activityparty.json');
  const fxImage = kvMap(fx.PreEntityImages).get('Image');

  it('an EntityCollection of activity parties prints like the fixture: typed collection, untyped members', () => {
    const from = kvMap(fxImage.Attributes).get('from');
    const party = from.Entities[0];
    const member = {
      logicalName: 'activityparty',
      id: party.Id,
      rowVersion: party.RowVersion,
      attributes: party.Attributes.map((a: J) => [
        a.key,
        a.value === null || typeof a.value !== 'object'
          ? a.value
          : String(a.value.__type).startsWith('EntityReference')
            ? ref(a.value.LogicalName, a.value.Id, a.value.Name)
            : option(a.value.Value),
      ]),
      formattedValues: party.FormattedValues.map((f: J) => [f.key, f.value]),
    };
    const image = {
      logicalName: 'new_customactivity',
      id: fxImage.Id,
      rowVersion: null,
      attributes: [['from', { kind: 'collection', entityName: 'activityparty', entities: [member] }]],
      formattedValues: [],
    } as const;
    const ours = JSON.parse(writeJson(entityJson(image as never, false)));
    expect(ours.__type).toBeUndefined();
    expect(kvMap(ours.Attributes).get('from')).toEqual(from);
    expect(shape(kvMap(ours.Attributes).get('from'))).toEqual(shape(from));
  });

  it('SetState arrives as MessageName Update with a pre image under its alias and the primary name post image', () => {
    const env = environmentWith([
      {
        logicalName: 'new_customactivity',
        entitySetName: 'new_customactivities',
        primaryId: 'activityid',
        primaryName: 'subject',
        columns: {
          subject: { type: 'string' },
          description: { type: 'string' },
          statecode: {
            type: 'choice',
            options: [
              { value: 0, label: 'Open' },
              { value: 3, label: 'Closed' },
            ],
          },
          statuscode: {
            type: 'choice',
            options: [
              { value: 1, label: 'Open' },
              { value: 4, label: 'Done' },
            ],
          },
        },
      },
    ]);
    const pre = { activityid: fx.PrimaryEntityId, subject: 'This is a subject', description: 'asdf', statecode: 0, statuscode: 1 };
    const post = { ...pre, statecode: 3, statuscode: 4 };
    const event = writeEvent(env, {
      message: 'SetState',
      table: 'new_customactivity',
      id: fx.PrimaryEntityId,
      preImage: pre,
      postImage: post,
      changedColumns: ['statecode', 'statuscode', 'modifiedon'],
      operationTime: new Date(1724658196000),
    });
    const ours = JSON.parse(
      serializeRemoteExecutionContext(
        contextForEvent(
          env,
          event,
          step({ id: 's', mode: 1, images: [{ id: 'i', alias: 'Image', imageType: 0, attributes: ['statecode', 'description', 'statuscode', 'subject'] }] }),
          facts({ serverUtcOffsetMinutes: 180 }),
        )!,
      ),
    );
    expect(ours.MessageName).toBe('Update');
    expect(ours.OperationCreatedOn).toBe(fx.OperationCreatedOn);
    const image = kvMap(ours.PreEntityImages).get('Image');
    expect(Object.keys(image)).toEqual(Object.keys(fxImage));
    const fxAttrs = kvMap(fxImage.Attributes);
    for (const a of image.Attributes) expect([a.key, a.value]).toEqual([a.key, fxAttrs.get(a.key)]);
    expect(kvMap(image.FormattedValues).get('statecode')).toBe(kvMap(fxImage.FormattedValues).get('statecode'));
    expect(ours.PostEntityImages).toEqual(fx.PostEntityImages);
  });
});

describe('Delete and size-stripped contexts (no real sample: built from the documented rules)', () => {
  const env = environmentWith([account]);
  const id = 'ec4e2f7d-9d60-e811-a95a-000d3af24950';
  const pre = { accountid: id, name: 'Contoso', telephone1: '555', createdon: '2024-01-01T00:00:00Z' };
  const event = writeEvent(env, { message: 'Delete', table: 'account', id, preImage: pre });

  it('Delete: Target is a typed EntityReference, async gets the AsynchronousStepPrimaryName pre image, no post image', () => {
    const ours = JSON.parse(
      serializeRemoteExecutionContext(
        contextForEvent(
          env,
          event,
          step({ id: 's', mode: 1, message: 'Delete', images: [{ id: 'i', alias: 'PreImage', imageType: 2, attributes: ['telephone1'] }] }),
          facts(),
        )!,
      ),
    );
    const target = kvMap(ours.InputParameters).get('Target');
    const fxRef = kvMap(kvMap(fixture('update-contact-async-postimage-msdocs.json').InputParameters).get('Target').Attributes).get('modifiedby');
    expect(shape(target)).toEqual(shape(fxRef));
    expect(target).toMatchObject({ Id: id, LogicalName: 'account' });
    expect(kvKeys(ours.PreEntityImages)).toEqual(['PreImage', 'AsynchronousStepPrimaryName']);
    expect(kvMap(ours.PreEntityImages).get('AsynchronousStepPrimaryName').Attributes).toEqual([
      { key: 'name', value: 'Contoso' },
      { key: 'accountid', value: id },
    ]);
    expect(ours.PostEntityImages).toEqual([]);
    expect(ours.OutputParameters).toEqual([]);
    expect(kvKeys(ours.ParentContext.InputParameters)).toEqual(['Target']);
  });

  it('stripped: no ParentContext, InputParameters or images; identity fields stay', () => {
    const input = contextForEvent(env, event, step({ id: 's', mode: 1, message: 'Delete' }), facts())!;
    const ours = JSON.parse(serializeRemoteExecutionContext(input, { stripped: true }));
    for (const k of ['ParentContext', 'InputParameters', 'PreEntityImages', 'PostEntityImages']) expect(ours).not.toHaveProperty(k);
    expect(ours).toMatchObject({ PrimaryEntityName: 'account', PrimaryEntityId: id, MessageName: 'Delete' });
  });

  it('tag goes into SharedVariables when the write carried one', () => {
    const tagged = writeEvent(env, { message: 'Delete', table: 'account', id, preImage: pre, tag: 'dvsync' });
    const ours = JSON.parse(serializeRemoteExecutionContext(contextForEvent(env, tagged, step({ id: 's', mode: 0 }), facts())!));
    expect(kvMap(ours.SharedVariables).get('tag')).toBe('dvsync');
    expect(kvMap(ours.ParentContext.SharedVariables).get('tag')).toBe('dvsync');
  });
});
