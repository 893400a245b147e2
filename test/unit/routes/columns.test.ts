/** Which source columns a route needs (shared/routes/columns.ts) and the loader's refusal of column lists that contradict the mappings. */
import { compileCondition } from '../../../shared/routes/conditions';
import { carryColumns } from '../../../shared/routes/columns';
import { parseRoutes, RoutesError } from '../../../shared/routes/load';

const ORIGIN = '/app/routes.json';
const load = (...routes: object[]) => parseRoutes(JSON.stringify({ routes }), ORIGIN, compileCondition);
const problemsOf = (...routes: object[]): string[] => {
  try {
    load(...routes);
  } catch (e) {
    if (e instanceof RoutesError) return e.problems;
    throw e;
  }
  throw new Error('the routes loaded');
};
const contacts = (source: object, target: object = {}) => ({
  name: 'contacts',
  source: { environment: 'source', table: 'contact', ...source },
  target: {
    environment: 'target',
    table: 'contact',
    entitySet: 'contacts',
    key: ['dvs_sourceid'],
    columns: { dvs_sourceid: 'contactid', firstname: 'firstname' },
    ...target,
  },
});

describe('selectColumns against keys and mappings (loader)', () => {
  it('accepts a selectColumns without the primary id: the primary id is always carried', () => {
    expect(load(contacts({ selectColumns: ['firstname'] })).routes).toHaveLength(1);
  });

  it('accepts columns only filters, conditions and onlyWhenValueChanged read: they run before the selection', () => {
    const route = contacts({
      selectColumns: ['firstname'],
      filteringColumns: ['lastname'],
      onlyWhenValueChanged: ['telephone1'],
      triggerConditions: ["@equals(triggerOutputs()?['body/statecode'], 0)"],
    });
    expect(load(route).routes).toHaveLength(1);
  });

  it('refuses a mapping, a key or a lookup that reads a column selectColumns leaves out, naming the file, route, field and fix', () => {
    const route = contacts(
      { selectColumns: ['firstname'] },
      {
        key: ['emailaddress1'],
        columns: { emailaddress1: { from: 'emailaddress1', transforms: ['lower'] }, firstname: 'firstname', lastname: 'lastname' },
        lookups: [{ from: 'parentcustomerid', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['dvs_sourceid'] }],
      },
    );
    const error = (() => {
      try {
        load(route);
      } catch (e) {
        return e as RoutesError;
      }
      throw new Error('the routes loaded');
    })();
    expect(error).toBeInstanceOf(RoutesError);
    expect(error.message).toContain(`Routes in ${ORIGIN} are invalid (3 problem(s))`);
    expect(error.problems).toEqual([
      'route "contacts" (index 0), field target.columns.emailaddress1.from: reads source column "emailaddress1", which source.selectColumns [firstname] leaves out; it is a target key column, so every change would fail with "key column has no value". Add "emailaddress1" to source.selectColumns, or remove source.selectColumns to carry every column',
      'route "contacts" (index 0), field target.columns.lastname: reads source column "lastname", which source.selectColumns [firstname] leaves out, so every change would arrive without it. Add "lastname" to source.selectColumns, or remove source.selectColumns to carry every column',
      'route "contacts" (index 0), field target.lookups[0].from: reads source column "parentcustomerid", which source.selectColumns [firstname] leaves out, so every change would arrive without it. Add "parentcustomerid" to source.selectColumns, or remove source.selectColumns to carry every column',
    ]);
  });

  it('refuses a sync.select that does not track a mapped column; a lookup counts as _<column>_value', () => {
    const lookup = { from: 'parentcustomerid', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['dvs_sourceid'] };
    expect(problemsOf(contacts({ sync: { enabled: true, select: ['lastname'] } }, { lookups: [lookup] }))).toEqual([
      'route "contacts" (index 0), field source.sync.select: does not track source column "firstname", which target.columns.firstname reads. Add "firstname" (a lookup: "_firstname_value") to source.sync.select, or empty it to track every column',
      'route "contacts" (index 0), field source.sync.select: does not track source column "parentcustomerid", which target.lookups[0].from reads. Add "parentcustomerid" (a lookup: "_parentcustomerid_value") to source.sync.select, or empty it to track every column',
    ]);
    expect(load(contacts({ sync: { enabled: true, select: ['firstname', '_parentcustomerid_value'] } }, { lookups: [lookup] })).routes).toHaveLength(1);
    // Not enabled: the list is not used, so it contradicts nothing.
    expect(load(contacts({ sync: { enabled: false, select: ['lastname'] } })).routes).toHaveLength(1);
  });
});

describe('carryColumns', () => {
  it('keeps selectColumns, the primary id and every column mappings and lookups read', () => {
    const { route } = load(contacts({ selectColumns: ['firstname'] })).routes[0];
    expect(carryColumns({ contactid: 'c-1', firstname: 'A', fullname: 'A B', modifiedon: null }, route)).toEqual({ contactid: 'c-1', firstname: 'A' });
  });

  it('keeps activityid for an activity table, and the id column the caller names (sync: table metadata)', () => {
    const { route } = load({
      name: 'activities',
      source: { environment: 'source', table: 'new_customactivity', selectColumns: ['statecode'] },
      target: { environment: 'target', table: 'task', entitySet: 'tasks', key: ['dvs_sourceid'], columns: { dvs_sourceid: 'activityid' } },
    }).routes[0];
    expect(carryColumns({ activityid: 'a-1', statecode: 1, subject: 'x', other_id: 'o' }, route)).toEqual({ activityid: 'a-1', statecode: 1 });
    expect(carryColumns({ activityid: 'a-1', statecode: 1, other_id: 'o' }, route, 'other_id')).toEqual({ activityid: 'a-1', statecode: 1, other_id: 'o' });
  });

  it('carries everything without selectColumns', () => {
    const { route } = load(contacts({})).routes[0];
    const values = { contactid: 'c-1', anything: 1 };
    expect(carryColumns(values, route)).toBe(values);
  });
});
