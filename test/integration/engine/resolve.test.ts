/**
 * Messages whose body is not the whole change: `blobRef` (read from Blob storage on Azurite) and
 * `reread` (the source row read again from the source environment of the Dataverse emulator).
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { routeSchema } from '../../../shared/routes/schema';
import { accountRoute, operator, rig, rows, useWorld } from './harness';

const world = useWorld();

const CONTAINER = 'dvsync-large-messages';

/** Source contacts (environment "source") → target contacts, the parent account found by the source account id kept in dvs_externalid. */
const sourceContactRoute = () =>
  routeSchema.parse({
    name: 'src-contacts',
    source: { environment: 'source', table: 'contact' },
    target: {
      environment: 'target',
      table: 'contact',
      entitySet: 'contacts',
      key: ['dvs_externalid'],
      columns: { dvs_externalid: 'contactid', lastname: 'lastname', emailaddress1: 'emailaddress1' },
      lookups: [
        {
          from: 'parentcustomerid',
          navigationProperty: 'parentcustomerid_account',
          targetTable: 'account',
          key: ['dvs_externalid'],
          entitySet: 'accounts',
          missingParent: 'fail',
        },
      ],
    },
  });

describe('completing messages before planning', () => {
  it('reads a blobRef message from Blob storage and applies the full change; a missing blob is a recorded failure', async () => {
    const r = rig(world, [accountRoute()]);
    const full = r.msg('accounts', { num: 'BIG-1', name: 'From the blob', phone: '555' }, 7);
    const container = BlobServiceClient.fromConnectionString(world.azurite.connectionString).getContainerClient(CONTAINER);
    await container.createIfNotExists();
    await container.getBlockBlobClient(`${r.session}/big-1.json`).upload(JSON.stringify(full.body), Buffer.byteLength(JSON.stringify(full.body)));
    const blobRef = { container: CONTAINER, name: `${r.session}/big-1.json` };
    const queued = r.msg('accounts', {}, 7, { blobRef });
    const missing = r.msg('accounts', {}, 3, { blobRef: { container: CONTAINER, name: `${r.session}/gone.json` } });

    const result = await r.engine.applyChanges([queued, missing]);
    expect(result.outcomes.map((o) => o.outcome.status)).toEqual(['applied', 'failed']);
    expect(await rows(world.dv, 'target', 'accounts', 'accountnumber,name,telephone1')).toEqual([
      expect.objectContaining({ accountnumber: 'BIG-1', name: 'From the blob', telephone1: '555' }),
    ]);
    const [failure] = await r.failures.list('accounts');
    expect(failure).toMatchObject({ reason: 'BlobMissing', version: 'ext=3:0:test' });
    expect(failure.detail).toMatch(/gone\.json does not exist/);
    // The failure keeps the small queue body (replayable), not a copy of the blob.
    expect(JSON.parse(failure.body)).toMatchObject({ blobRef: { name: `${r.session}/gone.json` } });
  });

  it('re-reads a stripped (reread) change from the source environment, lookups included; a source row deleted since is skipped', async () => {
    await operator(world.dv, 'POST', 'environments/source/tables/account/rows', [{ name: 'Source parent', accountnumber: 'SP-1' }]);
    const [parent] = await rows(world.dv, 'source', 'accounts', 'accountid');
    await operator(world.dv, 'POST', 'environments/source/tables/contact/rows', [
      { lastname: 'Reread', emailaddress1: 'rr@x.com', 'parentcustomerid_account@odata.bind': `/accounts(${parent.accountid})` },
    ]);
    const [contact] = await rows(world.dv, 'source', 'contacts', 'contactid');
    // The target already has the parent, keyed by the source account id.
    await operator(world.dv, 'POST', 'environments/target/tables/account/rows', [{ name: 'Target parent', dvs_externalid: parent.accountid }]);

    const r = rig(world, [sourceContactRoute()]);
    const stripped = r.msg('src-contacts', {}, 5, { reread: true, source: { table: 'contact', environment: 'source', id: contact.contactid } });
    const deleted = r.msg('src-contacts', {}, 6, {
      reread: true,
      source: { table: 'contact', environment: 'source', id: '00000000-0000-0000-0000-0000000000aa' },
    });
    const result = await r.engine.applyChanges([stripped, deleted]);
    expect(result.outcomes.map((o) => o.outcome)).toEqual([
      expect.objectContaining({ status: 'applied' }),
      expect.objectContaining({ status: 'skipped', reason: 'sourceDeleted' }),
    ]);
    const [targetParent] = await rows(world.dv, 'target', 'accounts', 'accountid');
    expect(await rows(world.dv, 'target', 'contacts', 'dvs_externalid,lastname,emailaddress1,_parentcustomerid_value')).toEqual([
      expect.objectContaining({
        dvs_externalid: contact.contactid,
        lastname: 'Reread',
        emailaddress1: 'rr@x.com',
        _parentcustomerid_value: targetParent.accountid,
      }),
    ]);
  });

  it('a reread message without a source id is a stated failure, not a write of empty values', async () => {
    const r = rig(world, [sourceContactRoute()]);
    const result = await r.engine.applyChanges([r.msg('src-contacts', {}, 5, { reread: true, source: { table: 'contact', environment: 'source' } })]);
    expect(result.outcomes[0].outcome).toMatchObject({ status: 'failed', reason: 'RereadImpossible' });
    expect((await r.failures.list('src-contacts'))[0].detail).toMatch(/names no source\.id/);
  });
});
