import { readdirSync } from 'fs';
import { normalise } from '../../../shared/webhook/normalise';
import { parseRemoteContext } from '../../../shared/webhook/parse';
import { buildTriggerBody } from '../../../shared/webhook/trigger-body';
import { FIXTURES_DIR, fixtureBytes } from './fixtures';

const load = (name: string, sizeExceeded = false) => normalise(parseRemoteContext(fixtureBytes(name)), { sizeExceeded });

describe('every real fixture normalises', () => {
  it.each(readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')))('%s', (file) => {
    const e = load(file);
    expect(e.rowId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.skippedColumns).toEqual([]);
    expect(e.reread).toBe(false);
  });
});

describe('update-contact-async-postimage-msdocs (file 1)', () => {
  const e = load('update-contact-async-postimage-msdocs.json');
  it('carries the envelope ids', () => {
    expect(e).toMatchObject({
      message: 'Update',
      table: 'contact',
      rowId: '6d81597f-0f9f-e711-8122-000d3aa2331c',
      operation: 'upsert',
      organizationId: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      correlationId: 'aaaa0000-bb11-2222-33cc-444444dddddd',
      operationId: '4af10637-4ea2-e711-8122-000d3aa2331c',
      userId: '11bb11bb-cc22-dd33-ee44-55ff55ff55ff',
      initiatingUserId: '11bb11bb-cc22-dd33-ee44-55ff55ff55ff',
      businessUnitId: 'e2b9dd85-e89e-e711-8122-000d3aa2331c',
      stepId: '75417616-4ea2-e711-8122-000d3aa2331c',
      depth: 1,
      mode: 1,
      stage: 40,
    });
    expect(e.requestId).toBeUndefined();
  });
  it('applies the OperationCreatedOn offset quirk (ms + offset lands next to modifiedon)', () => {
    expect(e.operationCreatedOn).toBe('2017-09-26T00:04:08.000Z');
    expect(e.modifiedOn).toBe('2017-09-26T00:04:07.000Z');
    expect(e.values.modifiedon).toEqual({ $type: 'datetime', iso: '2017-09-26T00:04:07.000Z' });
  });
  it('lists the Target columns as changed and merges the automatic post image', () => {
    expect(e.changedColumns).toEqual(['firstname', 'contactid', 'fullname', 'yomifullname', 'modifiedon', 'modifiedby', 'modifiedonbehalfby']);
    expect(e.values.firstname).toBe('James');
    expect(e.values.fullname).toBe('James Glynn (sample)');
    expect(e.values.modifiedby).toEqual({ $type: 'reference', table: 'systemuser', id: '11bb11bb-cc22-dd33-ee44-55ff55ff55ff' });
    expect(e.values.modifiedonbehalfby).toBeNull();
    expect(Object.keys(e.postImages)).toEqual(['AsynchronousStepPrimaryName']);
    expect(e.preImage).toBeUndefined();
    expect(e.tag).toBeUndefined();
  });
});

describe('create-albxrm_alltypes-async-alltypes (file 5): every column type', () => {
  const v = load('create-albxrm_alltypes-async-alltypes.json').values;
  it('types values exactly', () => {
    expect(v.albxrm_twooptions).toBe(true);
    expect(v.albxrm_wholenumber).toBe(987654321);
    expect(v.albxrm_float).toBe(2365.12);
    expect(v.albxrm_decimal).toBe(10.01);
    expect(v.exchangerate).toEqual({ $type: 'decimal', value: '1.0000000000' });
    expect(v.albxrm_currency).toEqual({ $type: 'money', value: 2154.32 });
    expect(v.albxrm_currency_base).toEqual({ $type: 'money', value: 2154.32 });
    expect(v.albxrm_optionset).toEqual({ $type: 'choice', value: 257760001, label: 'Value 2' });
    expect(v.albxrm_multiselectoptionset).toEqual({ $type: 'choices', values: [257760001, 257760002], labels: ['Value 1', 'Value 2'] });
    expect(v.albxrm_customer).toEqual({ $type: 'reference', table: 'account', id: 'ad6b3f4b-1be7-e611-8101-e0071b6af231' });
    expect(v.albxrm_multiplelinesoftext).toBe('sdafasf\nasdfas\nafsd');
    expect(v.albxrm_dateandtime).toEqual({ $type: 'datetime', iso: '2020-12-15T07:00:00.000Z' });
    expect(v.statecode).toEqual({ $type: 'choice', value: 0, label: 'Active' });
  });
  it('keeps +0000 OperationCreatedOn unchanged', () => {
    expect(load('create-albxrm_alltypes-async-alltypes.json').operationCreatedOn).toBe('2020-12-15T04:47:38.000Z');
  });
});

describe('create-shko_allfields-sync-alltypes (file 6)', () => {
  const e = load('create-shko_allfields-sync-alltypes.json');
  it('keeps sync millisecond OperationCreatedOn and typed values', () => {
    expect(e.operationCreatedOn).toBe('2023-10-15T19:34:06.012Z');
    expect(e.mode).toBe(0);
    expect(e.values.shko_currency).toEqual({ $type: 'money', value: 100 });
    expect(e.values.shko_choices).toEqual({ $type: 'choices', values: [342490001, 342490002], labels: ['One', 'Two'] });
    expect(e.values.shko_choice).toEqual({ $type: 'choice', value: 342490000, label: 'Zero' });
    expect(e.values.shko_datetime).toEqual({ $type: 'datetime', iso: '2023-10-17T07:00:00.000Z' });
    expect(e.values.shko_boolean).toBe(false);
    expect(e.formattedValues.shko_currency).toBe('â‚¬100.00');
  });
});

describe('update-new_customactivity SetState as Update with pre image and activity parties (file 7)', () => {
  const e = load('update-new_customactivity-async-setstate-preimage-activityparty.json');
  it('reads changed columns, pre image and the +0300 quirk', () => {
    expect(e.message).toBe('Update');
    expect(e.changedColumns).toEqual(['activityid', 'statecode', 'statuscode', 'modifiedon', 'modifiedby', 'modifiedonbehalfby']);
    expect(e.values.statecode).toEqual({ $type: 'choice', value: 3 });
    expect(e.preImage?.statecode).toEqual({ $type: 'choice', value: 0, label: 'Open' });
    expect(e.operationCreatedOn).toBe('2024-08-26T07:43:16.000Z');
    expect(e.modifiedOn).toBe('2024-08-26T07:43:16.000Z');
  });
  it('converts EntityCollection parties with their row versions dropped and references named', () => {
    const to = e.preImages.Image.to;
    expect(to).toMatchObject({ $type: 'collection', table: 'activityparty' });
    const rows = (to as { rows: Array<Record<string, unknown>> }).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0].partyid).toEqual({ $type: 'reference', table: 'queue', id: '64b14206-8fbb-e611-80ef-005056bd19ee', name: 'Queue Name' });
    expect(rows[0].participationtypemask).toEqual({ $type: 'choice', value: 2, label: 'To Recipient' });
    expect(e.preImages.Image.regardingobjectid).toEqual({
      $type: 'reference',
      table: 'new_otherentity',
      id: '8b1579d9-7e63-ef11-9e4a-00155d0001ea',
      name: 'Other entity name',
    });
  });
});

describe('create-sharepointdocumentlocation with a PostImage (file 8)', () => {
  const e = load('create-sharepointdocumentlocation-async-postimage.json');
  it('merges the registered PostImage over the Target (names from the image)', () => {
    expect(Object.keys(e.postImages).sort()).toEqual(['AsynchronousStepPrimaryName', 'PostImage']);
    expect(e.values.regardingobjectid).toEqual({ $type: 'reference', table: 'account', id: '0a3839b3-08d4-ef11-aeb0-00155d000101', name: 'Mini test' });
    expect(e.values.owninguser).toEqual({ $type: 'reference', table: 'systemuser', id: '30c91177-9436-4042-ad53-dd966d490114' });
    expect(e.operationCreatedOn).toBe('2025-01-16T12:52:16.000Z');
  });
});

describe('create-account-sync-nonascii-mojibake (file 9)', () => {
  it('decodes the published UTF-8 bytes exactly, without repairing the mojibake', () => {
    const e = load('create-account-sync-nonascii-mojibake.json');
    const name = e.values.name as string;
    // The published text is UTF-8 read as Windows-1252; re-encoding it the same way gives back the real value.
    expect(name.startsWith('Ð')).toBe(true);
    // Independent path: the string literal as published, read by Node's own UTF-8 decoder and JSON.parse.
    const text = fixtureBytes('create-account-sync-nonascii-mojibake.json').toString('utf8');
    const published = JSON.parse(/"key": "new_name",\s*"value": ("[^"]*")/.exec(text)![1]) as string;
    expect(published.startsWith('Ä¢')).toBe(true);
    expect(e.values.new_name).toBe(published);
    expect(e.values.new_name).not.toBe('ĢārūmžīmēščūļōšĶKĢĻČņ');
  });
  it('decodes correct UTF-8 as the real text', () => {
    const text = fixtureBytes('create-account-sync-nonascii-mojibake.json').toString('utf8');
    const fixed = text.replace(/"new_name",\s*"value":\s*"[^"]*"/, '"new_name", "value": "ĢārūmžīmēščūļōšĶKĢĻČņ"');
    expect(fixed).not.toBe(text);
    const e = normalise(parseRemoteContext(Buffer.from(fixed, 'utf8')));
    expect(e.values.new_name).toBe('ĢārūmžīmēščūļōšĶKĢĻČņ');
  });
});

describe('size-exceeded and Delete payloads', () => {
  it('marks a stripped payload for re-read', () => {
    const body = Buffer.from(
      JSON.stringify({
        MessageName: 'Update',
        PrimaryEntityName: 'account',
        PrimaryEntityId: 'ec4e2f7d-9d60-e811-a95a-000d3af24950',
        OrganizationId: 'b0714265-8e72-4d3b-8239-ecf0970a3da6',
        OperationId: '08fec203-ec78-4f7a-a024-c96e329a64fe',
      }),
    );
    const e = normalise(parseRemoteContext(body), { sizeExceeded: true });
    expect(e.reread).toBe(true);
    expect(e.values).toEqual({});
  });
  it('takes a Delete Target EntityReference and the pre image as values', () => {
    const ctx = {
      MessageName: 'Delete',
      PrimaryEntityName: 'contact',
      PrimaryEntityId: '6D81597F-0F9F-E711-8122-000D3AA2331C',
      OrganizationId: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      InputParameters: [
        {
          key: 'Target',
          value: {
            __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
            Id: '6d81597f-0f9f-e711-8122-000d3aa2331c',
            LogicalName: 'contact',
            Name: null,
          },
        },
      ],
      PreEntityImages: [
        {
          key: 'AsynchronousStepPrimaryName',
          value: { Attributes: [{ key: 'fullname', value: 'James' }], LogicalName: 'contact', Id: '6d81597f-0f9f-e711-8122-000d3aa2331c' },
        },
      ],
      SharedVariables: [{ key: 'tag', value: 'dvsync' }],
    };
    const e = normalise(parseRemoteContext(Buffer.from(JSON.stringify(ctx))));
    expect(e).toMatchObject({
      operation: 'delete',
      rowId: '6d81597f-0f9f-e711-8122-000d3aa2331c',
      values: { fullname: 'James' },
      tag: 'dvsync',
      reread: false,
      changedColumns: [],
    });
  });
});

describe('trigger body (Power Automate shape)', () => {
  it('shapes lookups, choices, multi-selects, dates and trigger properties', () => {
    const b = buildTriggerBody(load('create-albxrm_alltypes-async-alltypes.json'));
    expect(b._ownerid_value).toBe('a0bde583-0537-eb11-bf68-0022489b563d');
    expect(b['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('systemuser');
    expect(b.statuscode).toBe(1);
    expect(b['statuscode@OData.Community.Display.V1.FormattedValue']).toBe('Active');
    expect(b.albxrm_multiselectoptionset).toBe('257760001,257760002');
    expect(b.modifiedon).toBe('2020-12-15T04:47:38Z');
    expect(b.exchangerate).toBe(1);
    expect(b.ownerid).toBeUndefined();
    expect(b).toMatchObject({
      SdkMessage: 'Create',
      ItemInternalId: '44bfc2a7-903e-eb11-a813-000d3ad9c2e1',
      RunAsSystemUserId: 'a0bde583-0537-eb11-bf68-0022489b563d',
      '@odata.type': '#Microsoft.Dynamics.CRM.albxrm_alltypes',
    });
  });
  it('names a lookup from the image and lists the changed columns of an Update', () => {
    const doc = buildTriggerBody(load('create-sharepointdocumentlocation-async-postimage.json'));
    expect(doc['_regardingobjectid_value@OData.Community.Display.V1.FormattedValue']).toBe('Mini test');
    const upd = buildTriggerBody(load('update-account-sync-postoperation.json'));
    expect(upd._filteredattributes).toBe('telephone1,accountid,modifiedon,modifiedby,modifiedonbehalfby');
    expect(upd.telephone1).toBe('1111');
  });
});
