/**
 * No webhook body is answered with a 5xx. Property-based: every real fixture is mutated (nodes replaced
 * with null, wrong types, empty arrays, huge numbers, odd strings, unknown or misplaced `__type`s;
 * keys deleted, renamed, duplicated; the text or the bytes truncated or corrupted) and sent through the
 * handler the HTTP function runs (functions/webhook.ts → shared/webhook/intake.ts: parse → normalise →
 * route matching with trigger conditions → ChangeMessages). The queue always accepts, so any 5xx is a
 * crash. Every 400 names where the problem is (`problems[0].path`).
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { createWebhookHandler } from '../../../functions/webhook';
import type { OutgoingChange } from '../../../shared/queue/outgoing';
import { ExactNumber, parseJson, type JsonValue } from '../../../shared/util/json';
import { createIntakeRuntime } from '../../../shared/app';
import type { IntakeRuntime } from '../../../shared/webhook/runtime';
import { loadConfiguration } from '../../../shared/config/configuration';
import { FIXTURES_DIR, fixtureBytes } from './fixtures';

const FIXTURES = readdirSync(FIXTURES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const RUNS_PER_FIXTURE = 300;
const SEED = 20240911;

interface Fixture {
  name: string;
  bytes: Buffer;
  json: JsonValue;
  table: string;
  organizationId: string;
  columns: string[];
}

function attributeNames(json: JsonValue): string[] {
  const names = new Set<string>();
  const walk = (v: JsonValue) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object' && !(v instanceof ExactNumber)) {
      if (Array.isArray(v.Attributes))
        for (const kv of v.Attributes)
          if (kv && typeof kv === 'object' && !Array.isArray(kv) && typeof (kv as Record<string, JsonValue>).key === 'string')
            names.add((kv as Record<string, string>).key);
      Object.values(v).forEach(walk);
    }
  };
  walk(json);
  return [...names].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)).sort();
}

const fixtures: Fixture[] = FIXTURES.map((name) => {
  const bytes = fixtureBytes(name);
  const json = parseJson(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  const root = json as Record<string, string>;
  return { name, bytes, json, table: root.PrimaryEntityName, organizationId: root.OrganizationId, columns: attributeNames(json) };
});

/** One environment per fixture organization, and routes that make matching and the trigger body look at every value. */
function intakeEnv(): Record<string, string> {
  const environments: Record<string, unknown> = { target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 't' }] } };
  const routes: unknown[] = [];
  fixtures.forEach((f, i) => {
    const env = `env${i}`;
    environments[env] = { url: `https://org${i}.crm.dynamics.com`, organizationId: f.organizationId, credentials: [{ type: 'staticToken', token: 's' }] };
    const cols = f.columns.slice(0, 6);
    const target = (_name: string) => ({
      environment: 'target',
      table: f.table,
      entitySet: `${f.table}s`,
      key: ['dvs_sourceid'],
      columns: { dvs_sourceid: cols[0] ?? 'x', ...Object.fromEntries(cols.slice(1).map((c) => [c, c])) },
    });
    routes.push({
      name: `${env}-all`,
      source: { environment: env, table: f.table, messages: ['Create', 'Update', 'Delete', 'SetState'] },
      target: target('all'),
    });
    routes.push({
      name: `${env}-filtered`,
      source: {
        environment: env,
        table: f.table,
        filteringColumns: cols,
        onlyWhenValueChanged: cols,
        triggerConditions: [
          "@not(equals(triggerOutputs()?['body/statecode'], 1))",
          '@greater(length(string(triggerBody())), 0)',
          "@greaterOrEquals(length(string(triggerOutputs()?['headers'])), 0)",
          ...cols.map((c) => `@or(empty(triggerBody()?['${c}']), not(empty(string(triggerBody()?['${c}']))))`),
        ],
      },
      target: { ...target('filtered'), lookups: [] },
    });
    routes.push({
      name: `${env}-user`,
      source: { environment: env, table: f.table, scope: 'User', ownerUserId: '11bb11bb-cc22-dd33-ee44-55ff55ff55ff' },
      target: target('user'),
    });
    routes.push({
      name: `${env}-bu`,
      source: { environment: env, table: f.table, scope: 'ParentChildBusinessUnits', ownerBusinessUnitId: 'e2b9dd85-e89e-e711-8122-000d3aa2331c' },
      target: target('bu'),
    });
  });
  return {
    DVSYNC_ENVIRONMENTS: JSON.stringify(environments),
    DVSYNC_ROUTES: JSON.stringify({ routes }),
    ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true',
    DVSYNC_LARGE_MESSAGE_BYTES: '20000',
  };
}

/** Accepts everything, after serialising each message the way it goes on the wire. */
const publisher = {
  published: 0,
  async publish(changes: OutgoingChange[]) {
    for (const c of changes) JSON.parse(JSON.stringify(c.body));
    this.published += changes.length;
  },
  async close() {},
};

let runtime: IntakeRuntime;
let handler: ReturnType<typeof createWebhookHandler>;
beforeAll(() => {
  runtime = createIntakeRuntime(loadConfiguration(intakeEnv()), { publisher, largeMessages: null, failures: null });
  handler = createWebhookHandler(async () => runtime);
});

// ---- mutations ------------------------------------------------------------------------------------------

/** JSON text spliced in as is (numbers JSON.stringify cannot write). */
class Raw {
  constructor(readonly text: string) {}
}
type Node = null | boolean | number | string | ExactNumber | Raw | Node[] | { [key: string]: Node };
type Path = Array<string | number>;

const WIRE = 'http://schemas.microsoft.com/xrm/2011/Contracts';
const GUID = '6d81597f-0f9f-e711-8122-000d3aa2331c';
/** The commonest damage, drawn as often as all the specific shapes below together. */
const PLAIN: Node[] = [null, null, null, {}, [], '', 0, true, 'x', new Raw('1e400')];
const SHAPES: Node[] = [
  false,
  -1,
  1.5,
  2147483648,
  ' ',
  'a'.repeat(5000),
  '\u0000',
  '\ud800',
  'é',
  '__proto__',
  new Raw('1e400'),
  new Raw('-1e400'),
  new Raw('1e-400'),
  new Raw('-0'),
  new Raw('123456789012345678901234567890'),
  new Raw('1.00000000000000000001'),
  new Raw('9007199254740993'),
  new Raw('0.10000000000000000000'),
  '/Date(',
  '/Date()/',
  '/Date(abc)/',
  '/Date(99999999999999999999)/',
  '/Date(8640000000000001)/',
  '/Date(1-9999)/',
  '/Date(1+2400)/',
  '/Date(-62135596800001)/',
  'not-a-guid',
  '00000000-0000-0000-0000-000000000000',
  GUID.toUpperCase(),
  [],
  [null],
  [[]],
  [{}],
  ['x'],
  [1, 2],
  {},
  { key: null, value: null },
  { key: '__proto__', value: 1 },
  { key: 'constructor', value: {} },
  { key: '', value: 'x' },
  { __type: `Unknown:${WIRE}` },
  { __type: 7 },
  { __type: '' },
  { __type: ':' },
  { __type: null },
  { __type: [] },
  { __type: `AliasedValue:${WIRE}`, AttributeLogicalName: 'name', EntityLogicalName: 'account', Value: 'x' },
  { __type: `EntityReference:${WIRE}` },
  { __type: `EntityReference:${WIRE}`, Id: null, LogicalName: null },
  { __type: `EntityReference:${WIRE}`, Id: GUID, LogicalName: '' },
  { __type: `EntityReference:${WIRE}`, Id: GUID, LogicalName: 'account', Name: 5, KeyAttributes: [null, { key: 1 }, { key: 'k', value: {} }] },
  { __type: `EntityReference:${WIRE}`, Id: GUID, LogicalName: 'account', KeyAttributes: 'x' },
  { __type: `OptionSetValue:${WIRE}` },
  { __type: `OptionSetValue:${WIRE}`, Value: '1' },
  { __type: `OptionSetValue:${WIRE}`, Value: new Raw('1e400') },
  { __type: `OptionSetValue:${WIRE}`, Value: 1.5 },
  [{ __type: `OptionSetValue:${WIRE}`, Value: 1 }, null],
  [
    { __type: `OptionSetValue:${WIRE}`, Value: 1 },
    { __type: `OptionSetValue:${WIRE}`, Value: 2 },
  ],
  { __type: `Money:${WIRE}` },
  { __type: `Money:${WIRE}`, Value: null },
  { __type: `Money:${WIRE}`, Value: new Raw('1e400') },
  { __type: `Money:${WIRE}`, Value: new Raw('-123456789012345678901234.5678') },
  { __type: `EntityCollection:${WIRE}` },
  { __type: `EntityCollection:${WIRE}`, Entities: null },
  { __type: `EntityCollection:${WIRE}`, Entities: [null] },
  { __type: `EntityCollection:${WIRE}`, Entities: [1, 'x', [], {}] },
  { __type: `EntityCollection:${WIRE}`, EntityName: 5, Entities: [{ Attributes: [null, 'x', { key: 5 }] }] },
  { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [], FormattedValues: [null] }] },
  { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [], FormattedValues: null }] },
  { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [], FormattedValues: 'x' }] },
  { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [], FormattedValues: 5 }] },
  { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [], FormattedValues: [{ key: 'a', value: 1 }, { value: 'x' }] }] },
  {
    __type: `EntityCollection:${WIRE}`,
    Entities: [
      {
        Attributes: [
          { key: 'a', value: { __type: `EntityCollection:${WIRE}`, Entities: [{ Attributes: [{ key: 'b', value: null }], FormattedValues: [null] }] } },
        ],
      },
    ],
  },
  { __type: `Entity:${WIRE}` },
  { __type: `Entity:${WIRE}`, LogicalName: 'account', Attributes: null },
  { __type: `Entity:${WIRE}`, LogicalName: 'account', Attributes: [null], FormattedValues: [null] },
  {
    __type: `Entity:${WIRE}`,
    LogicalName: 'account',
    Id: GUID,
    Attributes: [{ key: 'name', value: 'x' }],
    FormattedValues: [{ key: 'name', value: null }],
    RowVersion: 5,
  },
];
const TYPE_NAMES = [
  'Entity',
  'EntityReference',
  'EntityCollection',
  'OptionSetValue',
  'Money',
  'AliasedValue',
  'BooleanManagedProperty',
  'Unknown',
  'Entity:',
  'entity',
  '',
];
const KEY_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Target', 'PostImage', 'tag', '', 'key', 'value', 'Attributes'];

type Op =
  | { kind: 'replace'; at: Where; with: Node }
  | { kind: 'delete'; at: Where }
  | { kind: 'retype'; at: Where; with: number }
  | { kind: 'rename'; at: Where; with: number }
  | { kind: 'duplicate'; at: Where }
  | { kind: 'wrap'; at: Where };
type Damage =
  | { kind: 'none' }
  | { kind: 'truncateText'; at: number }
  | { kind: 'truncateBytes'; at: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'append'; text: string };
const offset = fc.noBias(fc.nat());

/**
 * Which node an operation hits: an unbiased index (fast-check's bias towards small numbers would land nearly
 * every pick on the first few envelope fields), taken modulo the node count, and whether to pick uniformly
 * or weighted by depth squared (the nested values inside entity collections and images are few but deep,
 * and that is where the type dispatch lives).
 */
const anywhere = fc.record({ index: fc.noBias(fc.nat()), deep: fc.boolean() });
type Where = { index: number; deep: boolean };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), at: anywhere, with: fc.oneof(fc.constantFrom(...PLAIN), fc.constantFrom(...SHAPES)) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: anywhere }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retype' as const), at: anywhere, with: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), at: anywhere, with: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: anywhere }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: anywhere }) },
);
const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateText' as const), at: offset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateBytes' as const), at: offset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: offset, value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), text: fc.constantFrom(',', '}', ' {}', 'null', '\u0000', '"') }) },
);
const caseArb = fc.record({
  ops: fc.oneof({ weight: 3, arbitrary: fc.tuple(opArb) }, { weight: 2, arbitrary: fc.array(opArb, { minLength: 2, maxLength: 4 }) }),
  damage: damageArb,
  sizeExceeded: fc.boolean(),
  organizationHeader: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(undefined, 'match') },
    { weight: 1, arbitrary: fc.constantFrom('other.crm.dynamics.com', '') },
  ),
});

const isObject = (v: Node): v is { [key: string]: Node } =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExactNumber) && !(v instanceof Raw);

function clone(v: Node): Node {
  if (Array.isArray(v)) return v.map(clone);
  if (isObject(v)) {
    const out: Record<string, Node> = {};
    for (const [k, x] of Object.entries(v)) define(out, k, clone(x));
    return out;
  }
  return v;
}

/** Own data property even for `__proto__`, as the webhook's JSON parser creates them. */
function define(o: object, key: string, value: Node): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function pick(root: Node, at: Where): Path {
  const all = paths(root);
  if (!at.deep) return all[at.index % all.length];
  const total = all.reduce((sum, p) => sum + p.length * p.length, 0);
  let target = at.index % Math.max(total, 1);
  for (const p of all) {
    target -= p.length * p.length;
    if (target < 0) return p;
  }
  return [];
}

function paths(root: Node): Path[] {
  const out: Path[] = [];
  const walk = (v: Node, p: Path) => {
    out.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(root, []);
  return out;
}

function parentOf(root: Node, p: Path): { parent: Node; key: string | number } | undefined {
  if (p.length === 0) return undefined;
  let v: Node = root;
  for (const k of p.slice(0, -1)) v = (v as Record<string | number, Node>)[k];
  return { parent: v, key: p[p.length - 1] };
}

function apply(root: Node, op: Op): Node {
  const p = pick(root, op.at);
  const slot = parentOf(root, p);
  const current = slot ? (slot.parent as Record<string | number, Node>)[slot.key] : root;
  const set = (value: Node): Node => {
    if (!slot) return value;
    if (Array.isArray(slot.parent)) (slot.parent as Node[])[slot.key as number] = value;
    else define(slot.parent as object, slot.key as string, value);
    return root;
  };
  switch (op.kind) {
    case 'replace':
      return set(clone(op.with));
    case 'delete':
      if (!slot) return root;
      if (Array.isArray(slot.parent)) (slot.parent as Node[]).splice(slot.key as number, 1);
      else delete (slot.parent as Record<string, Node>)[slot.key as string];
      return root;
    case 'retype': {
      const name = TYPE_NAMES[op.with % TYPE_NAMES.length];
      if (isObject(current)) define(current, '__type', name.includes(':') || name === '' ? name : `${name}:${WIRE}`);
      return root;
    }
    case 'rename': {
      if (!slot || !isObject(slot.parent)) return root;
      const value = (slot.parent as Record<string, Node>)[slot.key as string];
      delete (slot.parent as Record<string, Node>)[slot.key as string];
      define(slot.parent, KEY_NAMES[op.with % KEY_NAMES.length], value);
      return root;
    }
    case 'duplicate':
      if (slot && Array.isArray(slot.parent)) (slot.parent as Node[]).splice(slot.key as number, 0, clone(current));
      return root;
    case 'wrap':
      return set([clone(current)]);
  }
}

function serialise(v: Node): string {
  if (v instanceof Raw || v instanceof ExactNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(serialise).join(',')}]`;
  if (isObject(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${serialise(x)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function damage(text: string, d: Damage): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  switch (d.kind) {
    case 'none':
      return bytes;
    case 'truncateText':
      return Buffer.from(text.slice(0, d.at % (text.length + 1)), 'utf8');
    case 'truncateBytes':
      return bytes.subarray(0, d.at % (bytes.length + 1));
    case 'byte': {
      const copy = Buffer.from(bytes);
      if (copy.length) copy[d.at % copy.length] = d.value;
      return copy;
    }
    case 'append':
      return Buffer.concat([bytes, Buffer.from(d.text, 'utf8')]);
  }
}

// ---- the property ------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: { error?: string; message?: string; problems?: Array<{ path: string; message: string }> } | undefined;
  /** What the function logged (an unexpected error's stack is there). */
  logs: string[];
}

async function send(bytes: Uint8Array, headers: Record<string, string>): Promise<Answer> {
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/dataverse/webhook',
    body: { bytes },
    headers: { 'content-type': 'application/json', ...headers },
  });
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName: 'dataverseWebhook',
    logHandler: (_level, ...args) => void logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
  });
  const r = await handler(request, context);
  return { status: r.status ?? 200, body: r.jsonBody as Answer['body'], logs };
}

function expectAnswered(answer: Answer, what: string): void {
  const summary = `${what} → ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 600)}`;
  if (answer.status < 200 || answer.status >= 500) throw new Error(`not a 2xx/4xx answer: ${summary}\n${answer.logs.join('\n').slice(0, 3000)}`);
  if (answer.status === 400) {
    const first = answer.body?.problems?.[0];
    if (!first || typeof first.path !== 'string' || first.path === '' || typeof first.message !== 'string')
      throw new Error(`a 400 that names no path: ${summary}`);
  }
}

describe('the webhook intake answers every mutated fixture with 2xx or 4xx, and every 400 names a path', () => {
  it('has fixtures to start from', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  it.each(FIXTURES)('%s unmutated is accepted', async (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const answer = await send(f.bytes, {});
    expect(answer.status).toBe(202);
  });

  it.each(FIXTURES)('%s, mutated', async (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const index = fixtures.indexOf(f);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        let root: Node = clone(f.json);
        for (const op of c.ops) root = apply(root, op);
        const bytes = damage(serialise(root), c.damage);
        const headers: Record<string, string> = {};
        if (c.sizeExceeded) headers['x-ms-dynamics-msg-size-exceeded'] = '';
        if (c.organizationHeader !== undefined)
          headers['x-ms-dynamics-organization'] = c.organizationHeader === 'match' ? `org${index}.crm.dynamics.com` : c.organizationHeader;
        expectAnswered(await send(bytes, headers), `${name} with ${JSON.stringify(c)}`);
      }),
      { numRuns: RUNS_PER_FIXTURE, seed: SEED + index },
    );
  });
});

describe('found by the fuzzer', () => {
  const base = () => clone(fixtures.find((f) => f.name.includes('activityparty'))!.json);
  /** The first EntityCollection value in the payload (an activity-party list). */
  function collection(root: Node): { [key: string]: Node } {
    let found: { [key: string]: Node } | undefined;
    const walk = (v: Node) => {
      if (found) return;
      if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) {
        if (typeof v.__type === 'string' && v.__type.startsWith('EntityCollection')) found = v;
        else Object.values(v).forEach(walk);
      }
    };
    walk(root);
    return found!;
  }
  const post = (root: Node) => send(Buffer.from(serialise(root)), {});

  it("a null entry in an EntityCollection entity's FormattedValues is a 400 naming the entry (was 503 internal_error)", async () => {
    const root = base();
    const entity = (collection(root).Entities as Node[])[0] as { [key: string]: Node };
    (entity.FormattedValues as Node[]).splice(1, 0, null);
    const answer = await post(root);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_payload' });
    expect(answer.body!.problems![0].path).toMatch(/\.value\.Entities\[0\]\.FormattedValues\[1\]$/);
  });

  it.each<[string, Node, RegExp]>([
    ['a number', 5, /\.Entities\[0\]\.FormattedValues$/],
    ['null', null, /\.Entities\[0\]\.FormattedValues$/],
    ['an entry with a numeric value', [{ key: 'a', value: 1 }], /\.Entities\[0\]\.FormattedValues\[0\]\.value$/],
    ['an entry without a key', [{ value: 'x' }], /\.Entities\[0\]\.FormattedValues\[0\]\.key$/],
  ])('FormattedValues that are %s: 400 naming the path (was 503 internal_error)', async (_what, formatted, path) => {
    const root = base();
    define((collection(root).Entities as Node[])[0] as object, 'FormattedValues', formatted);
    const answer = await post(root);
    expect(answer.status).toBe(400);
    expect(answer.body!.problems![0].path).toMatch(path);
  });

  it.each<[string, Buffer, string]>([
    ['not UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'byte offset 2'],
    ['a JSON array', Buffer.from('[{"MessageName":"Update"}]'), '(root)'],
    ['JSON null', Buffer.from('null'), '(root)'],
  ])('a body that is %s is a 400 whose problems name where (it named none)', async (_what, bytes, path) => {
    const answer = await send(bytes, {});
    expect(answer.status).toBe(400);
    expect(answer.body!.problems![0].path).toBe(path);
  });
});
