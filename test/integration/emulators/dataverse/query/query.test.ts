/** Conformance of collection queries against Learn: webapi/query/page-results (paging), https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors ($select errors) and Learn: webapi/compose-http-requests-handle-errors (Prefer annotations). */
import { startHarness, type Harness } from './harness';

let h: Harness;
const N = 6000;

beforeAll(async () => {
  h = await startHarness();
  const targets = Array.from({ length: N }, (_, i) => ({
    '@odata.type': 'Microsoft.Dynamics.CRM.account',
    name: i === 7 ? "O'Brien Ltd" : `Acct ${String(i).padStart(5, '0')}`,
    numberofemployees: i,
    ...(i % 2 === 0 ? { industrycode: 7 } : {}),
    ...(i === 3 ? { revenue: 1234.5 } : {}),
  }));
  const res = await h.call('POST', 'accounts/Microsoft.Dynamics.CRM.CreateMultiple', { body: { Targets: targets } });
  expect(res.status).toBe(200);
});
afterAll(() => h.dv.close());

async function all(path: string, headers: Record<string, string> = {}): Promise<{ rows: any[]; pages: number }> {
  const rows: any[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url) {
    const res = await h.call('GET', url, { headers });
    expect(res.status).toBe(200);
    const body = await h.json(res);
    rows.push(...body.value);
    pages++;
    url = body['@odata.nextLink'];
  }
  return { rows, pages };
}

describe('paging', () => {
  it('pages 5,000 at a time by default and the nextLink carries an XML paging cookie', async () => {
    const first = await h.call('GET', 'accounts?$select=name');
    const body = await h.json(first);
    expect(body.value).toHaveLength(5000);
    const link: string = body['@odata.nextLink'];
    expect(link.startsWith(`${h.base}accounts?`)).toBe(true);
    const token = new URL(link).searchParams.get('$skiptoken')!;
    expect(token).toMatch(/^<cookie pagenumber="2" pagingcookie="[^"]+" istracking="False" \/>$/);
    const { rows, pages } = await all('accounts?$select=name');
    expect(pages).toBe(2);
    expect(new Set(rows.map((r) => r.accountid)).size).toBe(N);
  });

  it('odata.maxpagesize pages a filtered, ordered query exactly and echoes Preference-Applied', async () => {
    const path = 'accounts?$select=name,numberofemployees&$filter=numberofemployees ge 1000 and numberofemployees lt 4000&$orderby=numberofemployees desc';
    const res = await h.call('GET', path, { headers: { prefer: 'odata.maxpagesize=700' } });
    expect(res.headers.get('preference-applied')).toBe('odata.maxpagesize=700');
    const { rows, pages } = await all(path, { prefer: 'odata.maxpagesize=700' });
    expect(pages).toBe(5);
    expect(rows.map((r) => r.numberofemployees)).toEqual(Array.from({ length: 3000 }, (_, i) => 3999 - i));
  });

  it('$top limits without maxpagesize and is ignored with it', async () => {
    const top = await h.json(await h.call('GET', 'accounts?$select=name&$top=3'));
    expect(top.value).toHaveLength(3);
    expect(top['@odata.nextLink']).toBeUndefined();
    const ignored = await h.json(await h.call('GET', 'accounts?$select=name&$top=3', { headers: { prefer: 'odata.maxpagesize=10' } }));
    expect(ignored.value).toHaveLength(10);
    expect(ignored['@odata.nextLink']).toBeDefined();
  });

  it('$skip is rejected', async () => {
    const res = await h.call('GET', 'accounts?$skip=10');
    expect(res.status).toBe(400);
    expect((await h.json(res)).error.message).toMatch(/\$skip is not supported/);
  });

  it('$count=true reports at most 5,000', async () => {
    const small = await h.json(await h.call('GET', 'accounts?$select=name&$count=true&$filter=numberofemployees lt 10'));
    expect(small['@odata.count']).toBe(10);
    const big = await h.json(
      await h.call('GET', 'accounts?$select=name&$count=true', { headers: { prefer: 'odata.maxpagesize=1,odata.include-annotations="*"' } }),
    );
    expect(big['@odata.count']).toBe(5000);
    expect(big['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(true);
    expect(await (await h.call('GET', 'accounts/$count')).text()).toBe('5000');
  });
});

describe('$filter', () => {
  const names = async (filter: string): Promise<string[]> => {
    const res = await h.call('GET', `accounts?$select=name&$filter=${encodeURIComponent(filter)}&$orderby=name`);
    expect(res.status).toBe(200);
    return (await h.json(res)).value.map((r: any) => r.name);
  };

  it('compares strings case-insensitively, with quote escaping and string functions', async () => {
    expect(await names("name eq 'acct 00001'")).toEqual(['Acct 00001']);
    expect(await names("name eq 'O''Brien Ltd'")).toEqual(["O'Brien Ltd"]);
    expect(await names("contains(name,'BRIEN')")).toEqual(["O'Brien Ltd"]);
    expect(await names("startswith(name,'acct 0000') and endswith(name,'9')")).toEqual(['Acct 00009']);
  });

  it('supports and/or/not with parentheses, numbers, choices and null checks', async () => {
    expect(await names('(numberofemployees eq 1 or numberofemployees eq 2) and not (industrycode eq 7)')).toEqual(['Acct 00001']);
    expect(await names('numberofemployees le 4 and revenue ne null')).toEqual(['Acct 00003']);
    expect((await names('numberofemployees lt 6 and industrycode eq null')).length).toBe(3);
  });

  it('filters lookups by _x_value GUID', async () => {
    const contact = await h.call('POST', 'contacts', { body: { fullname: 'Pat Lee' } });
    const cid = /\(([^)]+)\)$/.exec(contact.headers.get('odata-entityid')!)![1];
    const acc = await h.call('POST', 'accounts', { body: { name: 'Linked', 'primarycontactid@odata.bind': `/contacts(${cid})` } });
    expect(acc.status).toBe(204);
    expect(await names(`_primarycontactid_value eq ${cid}`)).toEqual(['Linked']);
  });

  it('answers the documented errors for unknown properties and bad syntax', async () => {
    const sel = await h.call('GET', 'accounts?$select=Name');
    expect(sel.status).toBe(400);
    expect((await h.json(sel)).error).toEqual({ code: '0x0', message: "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'." });
    const filt = await h.json(await h.call('GET', `accounts?$filter=${encodeURIComponent("nome eq 'x'")}`));
    expect(filt.error.message).toBe("Could not find a property named 'nome' on type 'Microsoft.Dynamics.CRM.account'.");
    const syntax = await h.call('GET', `accounts?$filter=${encodeURIComponent("name eqq 'x'")}`);
    expect(syntax.status).toBe(400);
    expect((await h.json(syntax)).error.code).toBe('0x80060888');
    const typed = await h.json(await h.call('GET', `accounts?$filter=${encodeURIComponent('name eq 5')}`));
    expect(typed.error.message).toMatch(/incompatible types.*'Edm.String' and 'Edm.Int32'/);
  });
});

describe('annotations (Prefer odata.include-annotations)', () => {
  it('adds formatted values and lookup annotations only when asked', async () => {
    const path = `accounts?$select=name,industrycode,revenue,_primarycontactid_value&$filter=${encodeURIComponent("name eq 'Linked' or numberofemployees eq 3")}&$orderby=name`;
    const plain = await h.json(await h.call('GET', path));
    expect(Object.keys(plain.value[0]).some((k) => k.includes('@OData'))).toBe(false);
    const res = await h.call('GET', path, { headers: { prefer: 'odata.include-annotations="*"' } });
    expect(res.headers.get('preference-applied')).toBe('odata.include-annotations="*"');
    const [acct3, linked] = (await h.json(res)).value;
    expect(acct3['revenue@OData.Community.Display.V1.FormattedValue']).toBe('$1,234.50');
    expect(linked['_primarycontactid_value@OData.Community.Display.V1.FormattedValue']).toBe('Pat Lee');
    expect(linked['_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('contact');
    const only = await h.json(
      await h.call('GET', `accounts?$select=industrycode&$filter=numberofemployees eq 2`, {
        headers: { prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' },
      }),
    );
    expect(only.value[0]['industrycode@OData.Community.Display.V1.FormattedValue']).toBe('Consulting');
  });

  it('expands a single-valued lookup', async () => {
    const body = await h.json(await h.call('GET', `accounts?$select=name&$filter=name eq 'Linked'&$expand=primarycontactid($select=fullname)`));
    expect(body.value[0].primarycontactid.fullname).toBe('Pat Lee');
  });
});
