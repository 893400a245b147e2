import { webhookFixture } from '../../helpers/fixtures';
import { compileCondition } from '../../../shared/routes/conditions';
import { parseRoutes, RoutesError } from '../../../shared/routes/load';
import { matchRoute, type MatchInput } from '../../../shared/routes/match';
import { normalise, type ChangeEvent } from '../../../shared/webhook/normalise';
import { parseRemoteContext } from '../../../shared/webhook/parse';
import { buildTriggerOutputs } from '../../../shared/webhook/trigger-body';

const fixture = (name: string): ChangeEvent => normalise(parseRemoteContext(webhookFixture(name)));
const target = { environment: 'target', table: 'account', entitySet: 'accounts', key: ['dvs_sourceid'] };
const routeWith = (source: Record<string, unknown>, name = 'r1') =>
  parseRoutes(JSON.stringify({ routes: [{ name, source: { environment: 'source', table: 'account', ...source }, target }] }), 'test', compileCondition)
    .routes[0];
const input = (event: ChangeEvent, over: Partial<MatchInput> = {}): MatchInput => ({
  event,
  environment: 'source',
  writeTag: 'dvsync',
  triggerOutputs: () => buildTriggerOutputs(event, {}),
  ...over,
});

const accountUpdate = fixture('update-account-sync-postoperation.json');
const accountCreate = fixture('create-account-sync-nonascii-mojibake.json');

describe('route matching reasons', () => {
  it('matches by default (Create, Update, Delete; Organization scope)', () => {
    expect(matchRoute(routeWith({}), input(accountUpdate))).toEqual({ matched: true });
  });
  it('environment, table and message', () => {
    expect(matchRoute(routeWith({}), input(accountUpdate, { environment: 'other' }))).toEqual({
      matched: false,
      reason: 'source environment is "source", event came from "other"',
    });
    expect(matchRoute(routeWith({ table: 'contact' }), input(accountUpdate))).toEqual({
      matched: false,
      reason: 'table is "account", route listens to "contact"',
    });
    expect(matchRoute(routeWith({ messages: ['Create'] }), input(accountUpdate))).toEqual({ matched: false, reason: 'message "Update" is not one of Create' });
  });
  it('filtering columns apply to Update only', () => {
    expect(matchRoute(routeWith({ filteringColumns: ['name', 'revenue'] }), input(accountUpdate))).toEqual({
      matched: false,
      reason: 'none of the filtering columns (name, revenue) changed',
    });
    expect(matchRoute(routeWith({ filteringColumns: ['telephone1'] }), input(accountUpdate)).matched).toBe(true);
    expect(matchRoute(routeWith({ filteringColumns: ['revenue'] }), input(accountCreate)).matched).toBe(true);
  });
  it('scope compares the row owner with the route owner', () => {
    const owner = '3570e963-e69c-ef11-8a6b-000d3a318589';
    const bu = '0669e963-e69c-ef11-8a6b-000d3a318589';
    const other = '11111111-2222-3333-4444-555555555555';
    expect(matchRoute(routeWith({ scope: 'User', ownerUserId: owner }), input(accountCreate)).matched).toBe(true);
    expect(matchRoute(routeWith({ scope: 'User', ownerUserId: other }), input(accountCreate))).toEqual({
      matched: false,
      reason: `scope User: row is owned by systemuser ${owner}, not ${other}`,
    });
    expect(matchRoute(routeWith({ scope: 'BusinessUnit', ownerBusinessUnitId: bu }), input(accountCreate)).matched).toBe(true);
    expect(matchRoute(routeWith({ scope: 'BusinessUnit', ownerBusinessUnitId: other }), input(accountCreate)).matched).toBe(false);
    expect(
      matchRoute(routeWith({ scope: 'ParentChildBusinessUnits', ownerBusinessUnitId: other, ownerChildBusinessUnitIds: [bu] }), input(accountCreate)).matched,
    ).toBe(true);
    expect(matchRoute(routeWith({ scope: 'User', ownerUserId: owner }), input(accountUpdate))).toEqual({
      matched: false,
      reason: 'scope User: the event has no ownerid (register a PostImage with ownerid, or use scope Organization)',
    });
  });
  it('trigger conditions are ANDed and each false one is named', () => {
    const r = routeWith({
      triggerConditions: ["@equals(triggerOutputs()?['body/SdkMessage'], 'Update')", "@equals(triggerOutputs()?['body/telephone1'], '2222')"],
    });
    expect(matchRoute(r, input(accountUpdate))).toEqual({
      matched: false,
      reason: "trigger condition 2 (@equals(triggerOutputs()?['body/telephone1'], '2222')) is false",
    });
    const ok = routeWith({
      triggerConditions: [
        "@equals(triggerBody()?['statuscode'], 1)",
        "@equals(triggerBody()?['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'systemuser')",
      ],
    });
    expect(matchRoute(ok, input(accountCreate))).toEqual({ matched: true });
  });
  it('onlyWhenValueChanged compares with the pre image', () => {
    const activity = fixture('update-new_customactivity-async-setstate-preimage-activityparty.json');
    const r = (cols: string[]) => routeWith({ table: 'new_customactivity', onlyWhenValueChanged: cols });
    expect(matchRoute(r(['statecode']), input(activity)).matched).toBe(true);
    expect(matchRoute(r(['subject']), input(activity))).toEqual({ matched: false, reason: 'no value changed in subject (compared with PreImage)' });
    const same: ChangeEvent = { ...activity, values: { ...activity.values, statuscode: { $type: 'choice', value: 1 } } };
    expect(matchRoute(r(['statuscode']), input(same)).matched).toBe(false);
  });
  it('ignores listed users and our own tagged writes', () => {
    const user = 'df010dad-f103-4589-ba66-76a5a04c2a11';
    expect(matchRoute(routeWith({ ignoreUsers: [user.toUpperCase()] }), input(accountUpdate))).toEqual({
      matched: false,
      reason: `initiating user ${user} is in ignoreUsers`,
    });
    const echo = { ...accountUpdate, tag: 'dvsync' };
    expect(matchRoute(routeWith({}), input(echo))).toEqual({ matched: false, reason: 'own write (tag "dvsync")' });
    expect(matchRoute(routeWith({ ignoreOwnWrites: false }), input(echo)).matched).toBe(true);
    expect(matchRoute(routeWith({}), input({ ...accountUpdate, tag: 'someone-else' })).matched).toBe(true);
  });
  it('lets stripped payloads through column filters (the worker re-reads)', () => {
    const stripped = { ...accountUpdate, reread: true, changedColumns: [], values: {} };
    expect(
      matchRoute(routeWith({ filteringColumns: ['name'], scope: 'User', ownerUserId: 'df010dad-f103-4589-ba66-76a5a04c2a11' }), input(stripped)).matched,
    ).toBe(true);
  });
});

describe('routes file validation', () => {
  const errorOf = (json: unknown): RoutesError => {
    try {
      parseRoutes(JSON.stringify(json), 'routes.json', compileCondition);
    } catch (e) {
      if (e instanceof RoutesError) return e;
      throw e;
    }
    throw new Error('expected RoutesError');
  };
  it('names the file, route and field', () => {
    const e = errorOf({
      routes: [
        { name: 'ok', source: { environment: 's', table: 'account' }, target },
        { name: 'bad', source: { environment: 's', table: 'account', scope: 'User' }, target: { ...target, key: [] } },
      ],
    });
    expect(e.message).toContain('routes.json');
    expect(e.problems).toEqual(
      expect.arrayContaining([
        'route "bad" (index 1), field source.ownerUserId: scope "User" needs ownerUserId (the systemuser id whose rows count)',
        expect.stringMatching(/^route "bad" \(index 1\), field target\.key: /),
      ]),
    );
  });
  it('rejects a bad trigger condition naming the route and position', () => {
    const e = errorOf({
      routes: [{ name: 'cond', source: { environment: 's', table: 'account', triggerConditions: ['@equals(1, 1)', "@equals(triggerBody()?['x'], "] }, target }],
    });
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(/^route "cond" \(index 0\), field source\.triggerConditions\[1\]: /);
  });
  it('rejects duplicate names and unknown dependsOn', () => {
    const e = errorOf({
      routes: [
        { name: 'a', source: { environment: 's', table: 'account' }, target: { ...target, dependsOn: ['zzz'] } },
        { name: 'a', source: { environment: 's', table: 'contact' }, target },
      ],
    });
    expect(e.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('name is already used by index 0'), expect.stringContaining('unknown route "zzz"')]),
    );
  });
});
