/**
 * Exact money and decimals end to end: a real webhook fixture whose amounts have more digits than a double
 * (normalised by the intake, built into a ChangeMessage, serialised as the queue carries it) reaches the
 * Dataverse emulator's request body with every digit. A loopback capture server in front of the emulator
 * records the raw bytes the engine sent (the emulator itself stores numbers as doubles).
 */
import { createServer, type Server } from 'node:http';
import { webhookChange } from '../../../shared/queue/build';
import { routeSchema } from '../../../shared/routes/schema';
import { createEnvironmentPool } from '../../../shared/throttle/environment';
import { normalise } from '../../../shared/webhook/normalise';
import { parseRemoteContext } from '../../../shared/webhook/parse';
import type { DataverseClient } from '../../../shared/dataverse/client';
import type { UserPool } from '../../../shared/throttle/pool';
import { operator, rig, startWorld, type World } from './harness';
import { webhookFixture } from '../../helpers/fixtures';

const MONEY = '123456789012345.6789'; // 19 significant digits: Number() gives 123456789012345.67
const DECIMAL = '12345678901.0123456789'; // Dataverse decimal range, 10 places: Number() gives 12345678901.012346

let world: World;
let capture: { server: Server; url: string; bodies: string[] };

async function startCapture(upstream: string): Promise<typeof capture> {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (body.length > 0) bodies.push(body.toString('utf8'));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const answer = await fetch(new URL(req.url ?? '/', upstream), { method: req.method, headers, body: body.length > 0 ? body : undefined });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
    });
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

beforeAll(async () => {
  world = await startWorld();
  capture = await startCapture(new URL(world.dv.url('target')).origin);
});
afterAll(async () => {
  await new Promise<void>((resolve) => capture?.server.close(() => resolve()));
  await world?.close();
});

/** The all-types fixture with its currency and decimal columns widened beyond double precision. */
function fixtureBytes(): Buffer {
  const text = webhookFixture('create-albxrm_alltypes-async-alltypes.json')
    .toString('utf8')
    .replace(/("key":"albxrm_currency","value":\{ "__type":"Money:[^"]*","Value":)2154\.32/g, `$1${MONEY}`)
    .replace(/("key":"albxrm_decimal","value":)10\.01/g, `$1${DECIMAL}`);
  if (!text.includes(MONEY) || !text.includes(DECIMAL)) throw new Error('fixture shape changed: currency/decimal values not found');
  return Buffer.from(text, 'utf8');
}

const routes = [
  routeSchema.parse({
    name: 'alltypes-accounts',
    source: { table: 'albxrm_alltypes' },
    target: {
      environment: 'target',
      table: 'account',
      entitySet: 'accounts',
      key: ['accountnumber'],
      columns: { accountnumber: 'albxrm_name', revenue: 'albxrm_currency' },
    },
  }),
  routeSchema.parse({
    name: 'alltypes-opportunities',
    source: { table: 'albxrm_alltypes' },
    target: {
      environment: 'target',
      table: 'opportunity',
      entitySet: 'opportunities',
      key: ['dvs_externalid'],
      columns: { dvs_externalid: 'albxrm_alltypesid', estimatedvalue: 'albxrm_decimal', name: 'albxrm_name' },
    },
  }),
];

it('money and decimal values beyond double precision reach the Dataverse request body digit for digit', async () => {
  await operator(world.dv, 'POST', 'reset');
  const event = normalise(parseRemoteContext(fixtureBytes()));
  const pools = new Map<string, UserPool<DataverseClient>>();
  const apiPath = new URL(world.dv.url('target')).pathname;
  pools.set(
    'target',
    createEnvironmentPool('target', {
      url: 'https://target.crm.dynamics.com',
      apiBaseUrl: `${capture.url}${apiPath}`,
      credentials: [{ type: 'staticToken', token: 'app-user-1' }],
    }),
  );
  const r = rig(world, routes, { pools });
  // As the queue carries it: JSON text of the built ChangeMessage.
  const messages = routes.map((route, i) => {
    const out = webhookChange(event, route, 'source', { sessionBuckets: 16, receivedAt: new Date() });
    return { body: JSON.stringify(out.body), messageId: `${r.session}-x${i}`, sessionId: r.session };
  });
  const result = await r.engine.applyChanges(messages);
  expect(result.counts).toMatchObject({ applied: 2, failed: 0 });

  const sent = capture.bodies.join('\n');
  expect(sent).toMatch(new RegExp(`"revenue":${MONEY.replace('.', '\\.')}[,}]`));
  expect(sent).toMatch(new RegExp(`"estimatedvalue":${DECIMAL.replace('.', '\\.')}[,}]`));
});
