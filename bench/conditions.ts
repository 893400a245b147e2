/**
 * Trigger-condition throughput: compile once, evaluate many times against a Dataverse trigger body.
 * Run: `npm run build && node dist/bench/conditions.js`.
 */
import { compileTriggerCondition, type DataverseTriggerOutputs } from '../shared/conditions';

export interface ConditionBenchResult {
  name: string;
  evaluations: number;
  nsPerEvaluation: number;
}

const outputs: DataverseTriggerOutputs = {
  headers: {},
  body: {
    '@odata.type': '#Microsoft.Dynamics.CRM.opportunity',
    SdkMessage: 'Update',
    stepname: 'Lost',
    statuscode: 2,
    'statuscode@OData.Community.Display.V1.FormattedValue': 'Lost',
    estimatedvalue: 15000.5,
    name: 'Contoso renewal',
  },
};

const CONDITIONS: Record<string, string> = {
  threeClauses:
    "@or(equals(triggerOutputs()?['body/stepname'], 'Won'), equals(triggerOutputs()?['body/stepname'], 'Lost'), greater(triggerBody()?['estimatedvalue'], 10000))",
  notEquals: "@not(equals(triggerBody()?['statuscode'], 1))",
  stringWork: "@and(startsWith(toLower(triggerBody()?['name']), 'contoso'), contains(triggerBody()?['name'], 'renewal'))",
};

export function runConditionBench(evaluations = 200_000): ConditionBenchResult[] {
  return Object.entries(CONDITIONS).map(([name, source]) => {
    const condition = compileTriggerCondition(source);
    for (let i = 0; i < 10_000; i++) condition.test(outputs); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < evaluations; i++) condition.test(outputs);
    const elapsed = Number(process.hrtime.bigint() - start);
    return { name, evaluations, nsPerEvaluation: Math.round(elapsed / evaluations) };
  });
}

if (require.main === module) {
  for (const r of runConditionBench()) {
    process.stdout.write(`${r.name.padEnd(14)} ${(r.nsPerEvaluation / 1000).toFixed(2)} µs/evaluation (${r.evaluations} runs)\n`);
  }
}
