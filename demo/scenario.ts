/**
 * The demo's story against demo/routes.json: what a person does in the source (and once in the target)
 * environment, and what the target must look like after each step. Each step is a set of writes plus
 * the checks that prove the engine carried them (or, by design, did not).
 */
import { type EnvironmentUser, type Row } from './web-api';

export interface Check {
  /** What the newcomer should see, e.g. "Contoso arrives in target". */
  what: string;
  /** Why, in terms of the routes (which filter, condition or mapping). */
  why: string;
  holds(): Promise<boolean>;
}

export interface Step {
  title: string;
  act(): Promise<string[]>;
  /** Checks that must hold before the next step (bounded wait). */
  checks: Check[];
}

export interface Stage {
  source: EnvironmentUser;
  target: EnvironmentUser;
  /** Someone editing the target environment directly (for the two-way route). */
  targetEditor: EnvironmentUser;
}

const ACCOUNT_COLUMNS = ['accountid', 'name', 'accountnumber', 'telephone1', 'emailaddress1', 'address1_city', 'dvs_externalid'];

/** Builds the steps; ids are filled in as the writes happen. `run` makes names unique per run. */
export function demoSteps(stage: Stage, run: string): Step[] {
  const { source, target, targetEditor } = stage;
  const ids: Record<string, string> = {};
  const targetAccount = (name: string, select = ACCOUNT_COLUMNS) => target.getByKey('accounts', { dvs_externalid: ids[name] }, select);
  const targetContact = (name: string) =>
    target.getByKey('contacts', { dvs_externalid: ids[name] }, ['contactid', 'firstname', 'lastname', 'jobtitle', '_parentcustomerid_value']);
  const is = async (row: Promise<Row | undefined>, test: (r: Row) => boolean) => {
    const r = await row;
    return r !== undefined && test(r);
  };

  return [
    {
      title: 'Create three accounts in source (one named "[internal] …")',
      act: async () => {
        ids.contoso = await source.create('accounts', {
          name: `Contoso ${run}`,
          accountnumber: `DEMO-${run}-1`,
          telephone1: '+1 555 0100',
          address1_city: 'Seattle',
          industrycode: 7,
        });
        ids.fabrikam = await source.create('accounts', { name: `  Fabrikam ${run}  `, accountnumber: `DEMO-${run}-2`, emailaddress1: 'Info@Fabrikam.example' });
        ids.internal = await source.create('accounts', { name: `[internal] Test ${run}`, accountnumber: `DEMO-${run}-3` });
        return [`created accounts Contoso (${ids.contoso}), Fabrikam, [internal] Test`];
      },
      checks: [
        {
          what: 'Contoso arrives in target, keyed by dvs_externalid = its source accountid',
          why: 'route accounts-to-target, upsert by alternate key',
          holds: () => is(targetAccount('contoso'), (r) => r.name === `Contoso ${run}` && r.address1_city === 'Seattle'),
        },
        {
          what: 'Fabrikam arrives with its name trimmed and its email lower-cased',
          why: 'column transforms trim / lower',
          holds: () => is(targetAccount('fabrikam'), (r) => r.name === `Fabrikam ${run}` && r.emailaddress1 === 'info@fabrikam.example'),
        },
      ],
    },
    {
      title: 'Create two contacts in source, each linked to an account (parentcustomerid)',
      act: async () => {
        ids.ada = await source.create('contacts', {
          firstname: 'Ada',
          lastname: `Lovelace ${run}`,
          'parentcustomerid_account@odata.bind': `/accounts(${ids.contoso})`,
        });
        ids.alan = await source.create('contacts', {
          firstname: 'Alan',
          lastname: `Turing ${run}`,
          'parentcustomerid_account@odata.bind': `/accounts(${ids.fabrikam})`,
        });
        return ['created contacts Ada (→ Contoso) and Alan (→ Fabrikam)'];
      },
      checks: [
        {
          what: "Ada arrives, her company lookup pointing at the target's Contoso",
          why: "lookup parentcustomerid resolved by the parent's alternate key, never by copying GUIDs",
          holds: async () => {
            const [contact, account] = await Promise.all([targetContact('ada'), targetAccount('contoso')]);
            return contact !== undefined && account !== undefined && contact._parentcustomerid_value === account.accountid;
          },
        },
        { what: 'Alan arrives', why: 'route contacts-to-target', holds: () => is(targetContact('alan'), (r) => r.lastname === `Turing ${run}`) },
        {
          what: '"[internal] Test" never arrives',
          why: "the route's trigger condition is false for names starting with [internal]",
          holds: async () => (await targetAccount('internal')) === undefined,
        },
      ],
    },
    {
      title: 'Change rows: a phone number, a note, a job title; and a phone number edited in target',
      act: async () => {
        await source.update('accounts', ids.contoso, { telephone1: '+1 555 0199' });
        await source.update('accounts', ids.fabrikam, { description: 'Only a note: description is not a filtering column' });
        await source.update('contacts', ids.ada, { jobtitle: 'Analyst' });
        const fabrikamInTarget = await targetAccount('fabrikam', ['accountid']);
        await targetEditor.update('accounts', String(fabrikamInTarget?.accountid), { telephone1: '+44 20 7946 0000' });
        return ['updated Contoso.telephone1, Fabrikam.description, Ada.jobtitle (source) and Fabrikam.telephone1 (target)'];
      },
      checks: [
        {
          what: "Contoso's new phone number arrives",
          why: 'telephone1 is a filtering column',
          holds: () => is(targetAccount('contoso'), (r) => r.telephone1 === '+1 555 0199'),
        },
        {
          what: "Ada's job title arrives",
          why: 'jobtitle is a filtering column of contacts-to-target',
          holds: () => is(targetContact('ada'), (r) => r.jobtitle === 'Analyst'),
        },
        {
          what: "Fabrikam's phone edited in target flows back to source, and stops there",
          why: 'route account-phone-back-to-source; the engine tags its writes, so each echo is skipped (ignoreOwnWrites)',
          holds: () => is(source.get('accounts', ids.fabrikam, ['telephone1']), (r) => r.telephone1 === '+44 20 7946 0000'),
        },
      ],
    },
    {
      title: 'Delete Alan in source',
      act: async () => {
        await source.delete('contacts', ids.alan);
        return ['deleted contact Alan'];
      },
      checks: [{ what: 'Alan is deleted in target', why: 'onDelete "delete" (the default)', holds: async () => (await targetContact('alan')) === undefined }],
    },
  ];
}
