/**
 * RowVersion in emitted RemoteExecutionContexts (emulators/dataverse/webhooks/row-version.ts) against
 * what the published payloads carry: the fixtures in test/fixtures/dataverse-webhook (Microsoft
 * Learn use-webhooks sample; albanian-xrm/PowerPlatform-Entity-Serializer and
 * albanian-xrm/Xrm-Entity-Serializer test files) and the two samples on the Microsoft Learn page
 * https://learn.microsoft.com/dynamics365/contact-center/extend/presence-status-sync.
 */
import { readdirSync } from 'node:fs';
import { contextForEvent, type DeliveryFacts } from '../../../../../emulators/dataverse/webhooks/event-context';
import type { StepRegistration } from '../../../../../emulators/dataverse/webhooks/registrations';
import { ROW_VERSION_MODES, rowVersionModeFor, rowVersionPlacement, type RowVersionMode } from '../../../../../emulators/dataverse/webhooks/row-version';
import { serializeRemoteExecutionContext } from '../../../../../emulators/dataverse/webhooks/serialize';
import { environmentWith, FIXTURES, fixture, kvMap, rowFromAttributes, writeEvent, type J } from './fixture-helpers';

/** Every RowVersion of one payload: Target, the ParentContext's Target (or its EntityMoniker), images by alias. */
function rowVersions(ctx: J) {
  const inputs = kvMap(ctx.InputParameters);
  const parentInputs = kvMap(ctx.ParentContext.InputParameters);
  const images = (list: J[]) => Object.fromEntries(list.map((i: J) => [i.key, i.value.RowVersion]));
  const parent = parentInputs.get('Target') ?? parentInputs.get('EntityMoniker');
  return {
    message: ctx.MessageName,
    mode: ctx.Mode,
    stage: ctx.Stage,
    target: inputs.get('Target').RowVersion,
    parent: parent === undefined ? 'absent' : parent.RowVersion,
    pre: images(ctx.PreEntityImages),
    post: images(ctx.PostEntityImages),
  };
}

describe('what the published payloads carry (the evidence table in webhooks/README.md)', () => {
  const table: Record<string, ReturnType<typeof rowVersions>> = {
    'create-account-sync-nonascii-mojibake.json': { message: 'Create', mode: 0, stage: 40, target: null, parent: null, pre: {}, post: {} },
    'create-shko_allfields-sync-alltypes.json': { message: 'Create', mode: 0, stage: 40, target: null, parent: null, pre: {}, post: {} },
    'create-albxrm_alltypes-async-alltypes.json': {
      message: 'Create',
      mode: 1,
      stage: 40,
      target: null,
      parent: null,
      pre: {},
      post: { AsynchronousStepPrimaryName: null },
    },
    // The parent of this Create is a retrieve: its InputParameters hold a Query, no Target.
    'create-sharepointdocumentlocation-async-postimage.json': {
      message: 'Create',
      mode: 1,
      stage: 40,
      target: null,
      parent: 'absent',
      pre: {},
      post: { PostImage: null, AsynchronousStepPrimaryName: null },
    },
    'update-account-sync-postoperation.json': { message: 'Update', mode: 0, stage: 40, target: null, parent: null, pre: {}, post: {} },
    'update-contact-async-postimage-msdocs.json': {
      message: 'Update',
      mode: 1,
      stage: 40,
      target: null,
      parent: null,
      pre: {},
      post: { AsynchronousStepPrimaryName: null },
    },
    // SetState as Update: the parent carries the EntityMoniker reference.
    'update-new_customactivity-async-setstate-preimage-activityparty.json': {
      message: 'Update',
      mode: 1,
      stage: 40,
      target: null,
      parent: null,
      pre: { Image: null },
      post: { AsynchronousStepPrimaryName: null },
    },
  };

  it.each(Object.entries(table))('%s', (name, expected) => {
    expect(rowVersions(fixture(name))).toEqual(expected);
  });

  it('no fixture carries versionnumber as an attribute of a Target or an image', () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(7);
    for (const name of names) {
      const fx = fixture(name);
      const entities = [fx, fx.ParentContext].flatMap((c: J) => [
        ...c.InputParameters.map((p: J) => p.value).filter((v: J) => v && typeof v === 'object' && Array.isArray(v.Attributes)),
        ...c.PreEntityImages.map((i: J) => i.value),
        ...c.PostEntityImages.map((i: J) => i.value),
      ]);
      for (const e of entities) expect([name, e.Attributes.map((a: J) => a.key)]).not.toEqual([name, expect.arrayContaining(['versionnumber'])]);
    }
  });

  it('the only non-null RowVersion in the fixtures is on activityparty rows inside an EntityCollection (fixture 7)', () => {
    const fx = fixture('update-new_customactivity-async-setstate-preimage-activityparty.json');
    const image = kvMap(fx.PreEntityImages).get('Image');
    const parties = ['from', 'to'].map((c) => kvMap(image.Attributes).get(c).Entities[0]);
    expect(parties.map((p: J) => [p.LogicalName, p.RowVersion])).toEqual([
      ['activityparty', '147059704'],
      ['activityparty', '147059705'],
    ]);
  });
});

describe('placement per mode, message and step mode', () => {
  it('published: only async Update Targets; always: every Entity; never: none', () => {
    const rows = ROW_VERSION_MODES.flatMap((mode) =>
      (['Create', 'Update', 'Delete'] as const).flatMap((message) =>
        ([0, 1] as const).map((stepMode) => {
          const p = rowVersionPlacement(mode, message, stepMode);
          return `${mode} ${message} ${stepMode ? 'async' : 'sync'}: ${[p.target && 'target', p.parentTarget && 'parent', p.images && 'images'].filter(Boolean).join(',') || '-'}`;
        }),
      ),
    );
    expect(rows).toEqual([
      'published Create sync: -',
      'published Create async: -',
      'published Update sync: -',
      'published Update async: target,parent',
      'published Delete sync: -',
      'published Delete async: -',
      'always Create sync: target,parent,images',
      'always Create async: target,parent,images',
      'always Update sync: target,parent,images',
      'always Update async: target,parent,images',
      'always Delete sync: target,parent,images',
      'always Delete async: target,parent,images',
      'never Create sync: -',
      'never Create async: -',
      'never Update sync: -',
      'never Update async: -',
      'never Delete sync: -',
      'never Delete async: -',
    ]);
  });

  it('a step override wins over its endpoint override, which wins over the emulator-wide mode; ids are matched case-insensitively', () => {
    const step = {
      id: 'AAAAAAAA-0000-4000-8000-000000000001',
      endpoint: { id: 'bbbbbbbb-0000-4000-8000-000000000002', name: 'e', url: 'http://x/', authType: 4 as const, auth: [] },
    };
    const policy = (byRegistration: Record<string, RowVersionMode>) => ({ mode: 'never' as const, byRegistration });
    expect(rowVersionModeFor(policy({}), step)).toBe('never');
    expect(rowVersionModeFor(policy({ 'bbbbbbbb-0000-4000-8000-000000000002': 'always' }), step)).toBe('always');
    expect(rowVersionModeFor(policy({ 'bbbbbbbb-0000-4000-8000-000000000002': 'always', 'aaaaaaaa-0000-4000-8000-000000000001': 'published' }), step)).toBe(
      'published',
    );
  });
});

describe('emitted contexts for the docs sample (fixture 1, async Update) in each mode', () => {
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
  const post = { ...rowFromAttributes(fxTarget.Attributes, ['modifiedonbehalfby', 'yomifullname']), createdon: '2017-09-01T00:00:00Z', versionnumber: 5948260 };
  const pre = { ...post, firstname: 'Jim', versionnumber: 5948211 };
  const event = writeEvent(env, {
    message: 'Update',
    table: 'contact',
    id: fx.PrimaryEntityId,
    preImage: pre,
    postImage: post,
    changedColumns: ['firstname', 'modifiedon', 'modifiedby', 'versionnumber'],
    userId: fx.UserId,
    operationTime: new Date(1506384248000),
    versionNumber: 5948260,
  });
  const step: StepRegistration = {
    id: fx.OwningExtension.Id,
    name: 'step',
    message: 'Update',
    table: 'contact',
    mode: 1,
    stage: 40,
    rank: 1,
    asyncAutoDelete: false,
    endpoint: { id: 'e', name: 'e', url: 'http://localhost/', authType: 4, auth: [] },
    images: [{ id: 'i', alias: 'Images', imageType: 2, attributes: ['firstname'] }],
  };
  const facts = (rowVersion?: RowVersionMode): DeliveryFacts => ({
    operationId: fx.OperationId,
    stepTime: new Date(0),
    serverUtcOffsetMinutes: -420,
    userUtcOffsetMinutes: 0,
    extras: { userAgent: '', suppressDuplicateDetection: false },
    changedEntityTypes: [],
    rowVersion,
  });
  const emit = (mode?: RowVersionMode): J => JSON.parse(serializeRemoteExecutionContext(contextForEvent(env, event, step, facts(mode))!));

  it("'never' gives exactly the fixture's RowVersion fields (all null)", () => {
    const ours = emit('never');
    expect(rowVersions(ours)).toEqual({ ...rowVersions(fx), pre: { Images: null }, post: { Images: null, AsynchronousStepPrimaryName: null } });
    expect(kvMap(ours.PostEntityImages).get('AsynchronousStepPrimaryName')).toEqual(kvMap(fx.PostEntityImages).get('AsynchronousStepPrimaryName'));
  });

  it("'published' (also when unset) gives the presence-status-sync pattern: Target and parent Target the same version string, images null", () => {
    // Microsoft Learn presence-status-sync, "Presence modified": async Update of msdyn_agentstatus with
    // Target RowVersion "5948260", ParentContext Target RowVersion "5948260", AsynchronousStepPrimaryName RowVersion null.
    for (const ours of [emit('published'), emit(undefined)]) {
      expect(rowVersions(ours)).toMatchObject({
        target: '5948260',
        parent: '5948260',
        pre: { Images: null },
        post: { Images: null, AsynchronousStepPrimaryName: null },
      });
    }
  });

  it("'always' adds it to every image: the pre image has the version before the update; lookups stay null", () => {
    const ours = emit('always');
    expect(rowVersions(ours)).toMatchObject({
      target: '5948260',
      parent: '5948260',
      pre: { Images: '5948211' },
      post: { Images: '5948260', AsynchronousStepPrimaryName: '5948260' },
    });
    expect(kvMap(kvMap(ours.InputParameters).get('Target').Attributes).get('modifiedby').RowVersion).toBeNull();
    expect(ours.OwningExtension.RowVersion).toBeNull();
  });

  it('apart from RowVersion the modes emit the same payload, and no mode adds a versionnumber attribute', () => {
    const strip = (text: string) => text.replace(/"RowVersion":(null|"\d+")/g, '"RowVersion":_');
    const texts = ROW_VERSION_MODES.map((m) => serializeRemoteExecutionContext(contextForEvent(env, event, step, facts(m))!));
    expect(new Set(texts.map(strip)).size).toBe(1);
    for (const t of texts) expect(t).not.toContain('"versionnumber"');
  });
});
