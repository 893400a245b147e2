/**
 * Trigger conditions as makers write them on Power Automate's Dataverse trigger ("When a row is added,
 * modified or deleted"), evaluated against trigger outputs shaped like that trigger's (fixtures/*.trigger.json),
 * with the result Power Automate gives: the flow runs only when the condition is true.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { compileTriggerCondition, type DataverseTriggerOutputs } from '../../../shared/conditions';

const load = (name: string) => JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `${name}.trigger.json`), 'utf8')) as DataverseTriggerOutputs;
const accountUpdate = load('dataverse-account-update');
const contactCreate = load('dataverse-contact-create');

/** [condition, runs for the account update, runs for the contact create]. */
const conditions: Array<[string, boolean, boolean]> = [
  ["@equals(triggerOutputs()?['body/statuscode'], 1)", true, true],
  ["@equals(triggerBody()?['statuscode'], 2)", false, false],
  ["@not(equals(triggerBody()?['_parentcustomerid_value'], null))", false, true],
  ["@equals(triggerOutputs()?['body/_parentaccountid_value'], null)", true, true],
  ["@contains(triggerOutputs()?['body/name'], 'Contoso')", true, false],
  ["@contains(triggerOutputs()?['body/name'], 'contoso')", false, false],
  ["@or(equals(triggerOutputs()?['body/statuscode'], 1), equals(triggerOutputs()?['body/statuscode'], 2))", true, true],
  ["@and(equals(triggerOutputs()?['body/statecode'], 0), greater(triggerOutputs()?['body/revenue'], 1000000))", true, false],
  ["@greater(triggerOutputs()?['body/revenue'], 1000000)", true, false],
  ["@greaterOrEquals(triggerBody()?['numberofemployees'], 250)", true, false],
  ["@less(triggerBody()?['creditlimit'], 1)", false, true],
  ["@equals(triggerOutputs()?['body/SdkMessage'], 'Update')", true, false],
  ["@equals(triggerOutputs()?['body/SdkMessage'], 'Create')", false, true],
  ["@empty(triggerOutputs()?['body/description'])", true, true],
  ["@empty(triggerBody()?['emailaddress1'])", false, true],
  ["@not(empty(triggerBody()?['emailaddress1']))", true, false],
  ["@contains(triggerOutputs()?['body/_filteredattributes'], 'revenue')", true, false],
  ["@equals(triggerOutputs()?['body/creditonhold'], false)", true, false],
  ["@equals(triggerBody()?['donotemail'], true)", false, true],
  ["@equals(triggerBody()?['statuscode@OData.Community.Display.V1.FormattedValue'], 'Active')", true, false],
  ["@equals(triggerOutputs()?['body/_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'systemuser')", true, false],
  ["@equals(triggerOutputs()?['body/_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'account')", false, true],
  ["@not(equals(triggerOutputs()?['body/_modifiedby_value'], triggerOutputs()?['body/RunAsSystemUserId']))", false, true],
  ["@startsWith(triggerBody()?['accountnumber'], 'acc-')", true, false],
  ["@endsWith(toLower(triggerBody()?['emailaddress1']), '.example')", true, false],
  ["@greater(ticks(triggerBody()?['modifiedon']), ticks('2024-01-01T00:00:00Z'))", true, false],
  ["@equals(triggerOutputs()?['body/address1_country'], 'Switzerland')", true, false],
  ["@equals(triggerOutputs()?['body']?['customertypecode'], 3)", true, false],
  ["@{equals(triggerOutputs()?['body/statuscode'], 1)}", true, true],
  ["@{and(equals(triggerBody()?['statecode'], 0), not(equals(triggerBody()?['name'], null)))}", true, false],
  ["@equals(length(coalesce(triggerBody()?['fullname'], '')), 12)", false, true],
  ["@if(equals(triggerBody()?['SdkMessage'], 'Create'), true, greater(triggerBody()?['revenue'], 10))", true, true],
  ["@contains(createArray(1, 2, 3), triggerBody()?['preferredcontactmethodcode'])", false, true],
  ["@equals(triggerBody()?['name'], 'Contoso Pharmaceuticals (Zürich)')", true, false],
];

describe('Power Automate trigger conditions on the Dataverse trigger', () => {
  it.each(conditions)('%s', (condition, onAccountUpdate, onContactCreate) => {
    const compiled = compileTriggerCondition(condition);
    // A column the row does not have is null; contains(null, …) or greater(null, …) fails, and a failing condition does not fire.
    expect(compiled.test(accountUpdate).matched).toBe(onAccountUpdate);
    expect(compiled.test(contactCreate).matched).toBe(onContactCreate);
  });

  it('a condition that fails to evaluate does not start the flow and reports why', () => {
    const result = compileTriggerCondition("@greater(triggerBody()?['name'], 10)").test(accountUpdate);
    expect(result.matched).toBe(false);
    expect(result.error?.message).toMatch(/greater/);
  });

  it('a condition that is not a boolean does not start the flow', () => {
    const result = compileTriggerCondition("@triggerBody()?['statuscode']").test(accountUpdate);
    expect(result.matched).toBe(false);
    expect(result.error?.message).toMatch(/must evaluate to a boolean/);
  });
});
