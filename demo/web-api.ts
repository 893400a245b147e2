/**
 * A person at a Dataverse environment, for the demo and the end-to-end tests: plain Web API calls
 * (create, update, delete, read by key) with a bearer token, plus the emulator's operator endpoints.
 * Deliberately not the product's client: this is the user whose edits the engine reacts to.
 */
export class DemoApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DemoApiError';
  }
}

export type Row = Record<string, unknown>;

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: Row; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new DemoApiError(0, `${method} ${url}: no answer (${cause}). Is the local stack running (npm start)?`);
  }
  const text = await res.text();
  let json: Row = {};
  if (text) {
    try {
      json = JSON.parse(text) as Row;
    } catch {
      json = { text };
    }
  }
  if (!res.ok) {
    const e = json.error as { code?: string; message?: string } | undefined;
    throw new DemoApiError(res.status, `${method} ${url} answered ${res.status}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? text.slice(0, 300)}`);
  }
  return { status: res.status, json, headers: res.headers };
}

/** Key predicate text: `dvs_externalid='…'` (single quotes doubled). */
export function keyText(key: Record<string, string>): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}='${v.replace(/'/g, "''")}'`)
    .join(',');
}

export class EnvironmentUser {
  /** `apiBaseUrl` ends in /api/data/v9.2/. */
  constructor(
    readonly apiBaseUrl: string,
    readonly token: string,
  ) {}

  private url(path: string): string {
    return new URL(path, this.apiBaseUrl).toString();
  }

  private get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** Creates a row and answers its id. */
  async create(entitySet: string, body: Row): Promise<string> {
    const r = await call('POST', this.url(entitySet), this.auth, body);
    const id = r.headers.get('odata-entityid')?.match(/\(([0-9a-f-]{36})\)\s*$/i)?.[1];
    if (!id) throw new DemoApiError(r.status, `POST ${entitySet} named no OData-EntityId.`);
    return id;
  }

  async update(entitySet: string, id: string, body: Row): Promise<void> {
    await call('PATCH', this.url(`${entitySet}(${id})`), { ...this.auth, 'if-match': '*' }, body);
  }

  async updateByKey(entitySet: string, key: Record<string, string>, body: Row): Promise<void> {
    await call('PATCH', this.url(`${entitySet}(${keyText(key)})`), { ...this.auth, 'if-match': '*' }, body);
  }

  async delete(entitySet: string, id: string): Promise<void> {
    await call('DELETE', this.url(`${entitySet}(${id})`), this.auth);
  }

  async get(entitySet: string, id: string, select?: string[]): Promise<Row | undefined> {
    return this.read(`${entitySet}(${id})${select ? `?$select=${select.join(',')}` : ''}`);
  }

  /** The row with that alternate key, or undefined when there is none. */
  async getByKey(entitySet: string, key: Record<string, string>, select?: string[]): Promise<Row | undefined> {
    return this.read(`${entitySet}(${keyText(key)})${select ? `?$select=${select.join(',')}` : ''}`);
  }

  async list(pathAndQuery: string): Promise<Row[]> {
    const r = await call('GET', this.url(pathAndQuery), this.auth);
    return Array.isArray(r.json.value) ? (r.json.value as Row[]) : [];
  }

  async whoAmI(): Promise<{ UserId: string; BusinessUnitId: string; OrganizationId: string }> {
    return (await call('GET', this.url('WhoAmI'), this.auth)).json as { UserId: string; BusinessUnitId: string; OrganizationId: string };
  }

  private async read(path: string): Promise<Row | undefined> {
    try {
      return (await call('GET', this.url(path), this.auth)).json;
    } catch (err) {
      if (err instanceof DemoApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}

/** The Dataverse emulator's operator endpoints (`/_emulator/…`, no auth). */
export class EmulatorOperator {
  /** `operatorUrl` ends in /_emulator/. */
  constructor(readonly operatorUrl: string) {}

  async counters(): Promise<Row> {
    return (await call('GET', new URL('counters', this.operatorUrl).toString(), {})).json;
  }

  async config(): Promise<Row> {
    return (await call('GET', new URL('config', this.operatorUrl).toString(), {})).json;
  }

  async configure(patch: Row): Promise<Row> {
    return (await call('PATCH', new URL('config', this.operatorUrl).toString(), {}, patch)).json;
  }
}
