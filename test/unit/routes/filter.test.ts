/** Route filters on rows (sync) and external records (ingest, inbound, import), and what the loader refuses (shared/routes/filter.ts). */
import { compileCondition } from '../../../shared/routes/conditions';
import { conditionColumns, matchRow } from '../../../shared/routes/filter';
import { parseRoutes, RoutesError } from '../../../shared/routes/load';

const target = { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'], columns: { accountnumber: 'accountnumber' } };
const load = (routes: unknown[]) => parseRoutes(JSON.stringify({ routes }), 'test', compileCondition);
const syncRoute = (source: Record<string, unknown>, name = 'r1') => ({
  name,
  source: { environment: 'source', table: 'account', sync: { enabled: true }, ...source },
  target,
});
const externalRoute = (source: Record<string, unknown>, name = 'x1') => ({
  name,
  source: { table: 'erp', recordColumns: { accountnumber: 'string', size: 'integer' }, ...source },
  target,
});
const problems = (routes: unknown[]): string[] => {
  try {
    load(routes);
    return [];
  } catch (e) {
    if (e instanceof RoutesError) return e.problems;
    throw e;
  }
};

const owner = '3570e963-e69c-ef11-8a6b-000d3a318589';
const bu = '0669e963-e69c-ef11-8a6b-000d3a318589';
const other = '11111111-2222-3333-4444-555555555555';
const ref = (table: string, id: string) => ({ $type: 'reference' as const, table, id });

describe('matchRow', () => {
  it('applies scope and trigger conditions to the row', () => {
    const loaded = load([
      syncRoute({
        scope: 'BusinessUnit',
        ownerBusinessUnitId: bu,
        triggerConditions: ["@equals(triggerBody()?['statecode'], 0)", "@equals(triggerBody()?['_ownerid_value'], '" + owner + "')"],
      }),
    ]).routes[0];
    const row = { accountnumber: 'A', statecode: 0, ownerid: ref('systemuser', owner), owningbusinessunit: ref('businessunit', bu) };
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: row })).toEqual({ matched: true });
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { ...row, statecode: 1 } })).toEqual({
      matched: false,
      reason: expect.stringMatching(/^trigger condition 1 .* is false$/),
    });
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { ...row, owningbusinessunit: ref('businessunit', other) } }).matched).toBe(false);
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { accountnumber: 'A' } })).toEqual({
      matched: false,
      reason: expect.stringMatching(/^scope BusinessUnit: the event has no owningbusinessunit/),
    });
  });
  it('compares ignoreUsers with modifiedby and modifiedonbehalfby', () => {
    const loaded = load([syncRoute({ ignoreUsers: [owner.toUpperCase()] })]).routes[0];
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { modifiedby: ref('systemuser', owner) } })).toEqual({
      matched: false,
      reason: `modifiedby ${owner} is in ignoreUsers`,
    });
    expect(
      matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { modifiedby: ref('systemuser', other), modifiedonbehalfby: ref('systemuser', owner) } }),
    ).toEqual({ matched: false, reason: `modifiedonbehalfby ${owner} is in ignoreUsers` });
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { modifiedby: owner } }).matched).toBe(false);
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'a', values: { modifiedby: ref('systemuser', other) } }).matched).toBe(true);
  });
  it('passes deletions when Delete is listed (a deleted row has no columns to judge) and upserts when Create or Update is', () => {
    const both = load([syncRoute({ messages: ['Create', 'Update'], triggerConditions: ["@equals(triggerBody()?['statecode'], 0)"] })]).routes[0];
    expect(matchRow(both, { operation: 'delete', rowId: 'a', values: {} })).toEqual({
      matched: false,
      reason: 'a deletion, and "Delete" is not one of Create, Update',
    });
    const deletes = load([syncRoute({ messages: ['Delete'], triggerConditions: ["@equals(triggerBody()?['statecode'], 0)"] })]).routes[0];
    expect(matchRow(deletes, { operation: 'delete', rowId: 'a', values: {} })).toEqual({ matched: true });
    expect(matchRow(deletes, { operation: 'upsert', rowId: 'a', values: { statecode: 0 } })).toEqual({
      matched: false,
      reason: 'a new or updated row, and neither "Create" nor "Update" is one of Delete',
    });
  });
  it('evaluates an external record as the trigger body, its key as ItemInternalId', () => {
    const loaded = load([externalRoute({ triggerConditions: ["@and(greater(triggerBody()?['size'], 10), equals(triggerBody()?['ItemInternalId'], 'K1'))"] })])
      .routes[0];
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'K1', values: { accountnumber: 'K1', size: 11 } }).matched).toBe(true);
    expect(matchRow(loaded, { operation: 'upsert', rowId: 'K1', values: { accountnumber: 'K1', size: 10 } }).matched).toBe(false);
  });
  it('a disabled route matches nothing', () => {
    expect(
      matchRow(load([externalRoute({}), { ...externalRoute({}, 'x2'), enabled: false }]).routes[1], { operation: 'upsert', rowId: 'a', values: {} }),
    ).toEqual({ matched: false, reason: 'route is disabled' });
  });
});

describe('the loader refuses filters a path cannot apply', () => {
  it('external routes: scope, change filters, users, sync, one of Create/Update, event-only trigger properties', () => {
    const p = problems([
      externalRoute({
        scope: 'User',
        ownerUserId: owner,
        filteringColumns: ['size'],
        onlyWhenValueChanged: ['size'],
        ignoreUsers: [owner],
        sync: { enabled: true },
        messages: ['Create'],
        triggerConditions: ["@equals(triggerBody()?['SdkMessage'], 'Create')"],
      }),
    ]);
    expect(p).toEqual([
      expect.stringMatching(/field source\.scope: scope "User" compares a Dataverse row's owner/),
      expect.stringMatching(/field source\.filteringColumns: .* cannot be applied/),
      expect.stringMatching(/field source\.onlyWhenValueChanged: /),
      expect.stringMatching(/field source\.ignoreUsers: .*no Dataverse user/),
      expect.stringMatching(/field source\.sync: incremental sync reads a Dataverse table/),
      expect.stringMatching(/field source\.messages: .*target\.mode "createOnly" or "updateOnly"/),
      expect.stringMatching(/field source\.triggerConditions\[0\]: reads SdkMessage/),
    ]);
  });
  it('sync routes: one of Create/Update, event-only properties, and columns the filters read but sync.select leaves out', () => {
    const p = problems([
      syncRoute({
        messages: ['Update'],
        scope: 'User',
        ownerUserId: owner,
        ignoreUsers: [other],
        triggerConditions: ["@equals(triggerBody()?['_filteredattributes'], 'name')", "@equals(triggerBody()?['statecode'], 0)"],
        sync: { enabled: true, select: ['accountnumber', 'name'] },
      }),
    ]);
    expect(p).toEqual([
      expect.stringMatching(/field source\.messages: incremental sync cannot tell a Create from an Update/),
      expect.stringMatching(/field source\.triggerConditions\[0\]: reads _filteredattributes/),
      expect.stringMatching(/field source\.sync\.select: does not track "_ownerid_value"/),
      expect.stringMatching(/does not track "_modifiedby_value"/),
      expect.stringMatching(/does not track "_modifiedonbehalfby_value"/),
      expect.stringMatching(/does not track "statecode", which trigger condition 2 reads/),
    ]);
    expect(
      problems([
        syncRoute({ triggerConditions: ["@equals(triggerBody()?['statecode'], 0)"], sync: { enabled: true, select: ['accountnumber', 'statecode'] } }),
      ]),
    ).toEqual([]);
    // Webhook-only routes may use every filter.
    expect(
      problems([
        {
          ...syncRoute({ messages: ['Update'], triggerConditions: ["@equals(triggerBody()?['SdkMessage'], 'Update')"] }),
          source: { environment: 'source', table: 'account', messages: ['Update'], triggerConditions: ["@equals(triggerBody()?['SdkMessage'], 'Update')"] },
        },
      ]),
    ).toEqual([]);
  });
  it('two-way sync must name our application users in ignoreUsers (change tracking carries no write tag)', () => {
    const back = { name: 'back', source: { environment: 'target', table: 'account' }, target: { ...target, environment: 'source' } };
    expect(problems([syncRoute({}), back])).toEqual([
      expect.stringMatching(/route "r1" \(index 0\), field source\.ignoreUsers: route "back" writes source\/account/),
    ]);
    expect(problems([syncRoute({ ignoreUsers: [owner] }), back])).toEqual([]);
    expect(problems([syncRoute({ ignoreOwnWrites: false }), back])).toEqual([]);
  });
});

it('conditionColumns lists the names a condition reads, annotations and paths split', () => {
  expect(
    conditionColumns(
      "@and(equals(triggerBody()?['statecode'], 0), equals(triggerOutputs()?['body/_ownerid_value@OData.Community.Display.V1.FormattedValue'], 'x'))",
    ),
  ).toEqual(['statecode', '_ownerid_value']);
});
