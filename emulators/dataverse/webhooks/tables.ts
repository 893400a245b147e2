/**
 * The registration tables a registration tool writes through the Web API (Learn: register-web-hook),
 * added to every environment's schema through `extraTables`. Column choices carry the documented
 * values; `authvalue` is stored outside the row because Dataverse never returns it (IsValidForRead = False).
 */
import type { TableSpecInput } from '../schema/spec';

const choice = (pairs: Array<[number, string]>, extra: { default?: number; required?: boolean } = {}) => ({
  type: 'choice' as const,
  options: pairs.map(([value, label]) => ({ value, label })),
  ...extra,
});

export const STEP_STAGES: Array<[number, string]> = [
  [10, 'Pre-validation'],
  [20, 'Pre-operation'],
  [30, 'Main operation'],
  [40, 'Post-operation'],
];

export const webhookTables: TableSpecInput[] = [
  {
    logicalName: 'serviceendpoint',
    schemaName: 'ServiceEndpoint',
    entitySetName: 'serviceendpoints',
    primaryId: 'serviceendpointid',
    primaryName: 'name',
    objectTypeCode: 4618,
    ownership: 'None',
    columns: {
      name: { type: 'string', maxLength: 256, required: true },
      description: { type: 'memo', maxLength: 2000 },
      contract: choice(
        [
          [1, 'OneWay'],
          [2, 'Queue'],
          [3, 'Rest'],
          [4, 'TwoWay'],
          [5, 'Topic'],
          [6, 'Queue (Persistent)'],
          [7, 'Event Hub'],
          [8, 'Webhook'],
          [9, 'Event Grid'],
          [10, 'Managed Data Lake'],
        ],
        { required: true },
      ),
      url: { type: 'string', maxLength: 2000 },
      authtype: choice([
        [1, 'ACS'],
        [2, 'SAS Key'],
        [3, 'SAS Token'],
        [4, 'Webhook Key'],
        [5, 'Http Header'],
        [6, 'Http Query String'],
        [7, 'Connection String'],
        [8, 'Access Key'],
      ]),
      isauthvalueset: { type: 'bool', default: false },
      messageformat: choice([
        [1, 'Binary XML'],
        [2, 'Json'],
        [3, 'Text XML'],
      ]),
      messagecharset: choice([
        [0, 'Default'],
        [1, 'UTF8'],
      ]),
      userclaim: choice([
        [1, 'None'],
        [2, 'UserId'],
        [3, 'UserInfo'],
      ]),
      connectionmode: choice([
        [1, 'Normal'],
        [2, 'Federated'],
      ]),
      namespaceaddress: { type: 'string', maxLength: 255 },
      path: { type: 'string', maxLength: 160 },
      solutionnamespace: { type: 'string', maxLength: 160 },
      saskeyname: { type: 'string', maxLength: 256 },
    },
  },
  {
    logicalName: 'sdkmessage',
    schemaName: 'SdkMessage',
    entitySetName: 'sdkmessages',
    primaryId: 'sdkmessageid',
    primaryName: 'name',
    objectTypeCode: 4606,
    ownership: 'None',
    columns: { name: { type: 'string', maxLength: 256 }, categoryname: { type: 'string', maxLength: 25 }, isprivate: { type: 'bool', default: false } },
  },
  {
    logicalName: 'sdkmessagefilter',
    schemaName: 'SdkMessageFilter',
    entitySetName: 'sdkmessagefilters',
    primaryId: 'sdkmessagefilterid',
    primaryName: 'name',
    objectTypeCode: 4607,
    ownership: 'None',
    columns: {
      name: { type: 'string', maxLength: 256 },
      sdkmessageid: { type: 'lookup', targets: ['sdkmessage'] },
      primaryobjecttypecode: { type: 'string', maxLength: 64 },
      secondaryobjecttypecode: { type: 'string', maxLength: 64 },
      iscustomprocessingstepallowed: { type: 'bool', default: true },
      isvisible: { type: 'bool', default: true },
    },
  },
  {
    logicalName: 'sdkmessageprocessingstep',
    schemaName: 'SdkMessageProcessingStep',
    entitySetName: 'sdkmessageprocessingsteps',
    primaryId: 'sdkmessageprocessingstepid',
    primaryName: 'name',
    objectTypeCode: 4608,
    ownership: 'None',
    columns: {
      name: { type: 'string', maxLength: 256, required: true },
      description: { type: 'memo', maxLength: 256 },
      stage: choice(STEP_STAGES),
      mode: choice(
        [
          [0, 'Synchronous'],
          [1, 'Asynchronous'],
        ],
        { default: 0 },
      ),
      rank: { type: 'int', default: 1 },
      filteringattributes: { type: 'memo', maxLength: 100000 },
      asyncautodelete: { type: 'bool', default: false },
      supporteddeployment: choice(
        [
          [0, 'Server Only'],
          [1, 'Microsoft Dynamics 365 Client for Outlook Only'],
          [2, 'Both'],
        ],
        { default: 0 },
      ),
      invocationsource: choice(
        [
          [-1, 'Internal'],
          [0, 'Parent'],
          [1, 'Child'],
        ],
        { default: 0 },
      ),
      configuration: { type: 'memo', maxLength: 1073741823 },
      statecode: choice(
        [
          [0, 'Enabled'],
          [1, 'Disabled'],
        ],
        { default: 0 },
      ),
      statuscode: choice(
        [
          [1, 'Enabled'],
          [2, 'Disabled'],
        ],
        { default: 1 },
      ),
      eventhandler: {
        type: 'lookup',
        targets: ['serviceendpoint'],
        navigation: { serviceendpoint: 'eventhandler_serviceendpoint' },
        collectionNavigation: { serviceendpoint: 'serviceendpoint_sdkmessageprocessingstep' },
      },
      sdkmessageid: { type: 'lookup', targets: ['sdkmessage'] },
      sdkmessagefilterid: { type: 'lookup', targets: ['sdkmessagefilter'] },
      impersonatinguserid: { type: 'lookup', targets: ['systemuser'] },
    },
  },
  {
    logicalName: 'sdkmessageprocessingstepimage',
    schemaName: 'SdkMessageProcessingStepImage',
    entitySetName: 'sdkmessageprocessingstepimages',
    primaryId: 'sdkmessageprocessingstepimageid',
    primaryName: 'name',
    objectTypeCode: 4615,
    ownership: 'None',
    columns: {
      name: { type: 'string', maxLength: 256 },
      description: { type: 'memo', maxLength: 256 },
      entityalias: { type: 'string', maxLength: 256 },
      imagetype: choice([
        [0, 'PreImage'],
        [1, 'PostImage'],
        [2, 'Both'],
      ]),
      messagepropertyname: { type: 'string', maxLength: 256 },
      attributes: { type: 'memo', maxLength: 100000 },
      relatedattributename: { type: 'string', maxLength: 256 },
      sdkmessageprocessingstepid: {
        type: 'lookup',
        targets: ['sdkmessageprocessingstep'],
        collectionNavigation: { sdkmessageprocessingstep: 'sdkmessageprocessingstepid_sdkmessageprocessingstepimage' },
      },
    },
  },
];

/** Messages served from `sdkmessages`; table messages get a filter per table. */
export const TABLE_MESSAGES = [
  'Create',
  'Update',
  'Delete',
  'Retrieve',
  'RetrieveMultiple',
  'Assign',
  'SetState',
  'Associate',
  'Disassociate',
  'CreateMultiple',
  'UpdateMultiple',
  'UpsertMultiple',
  'DeleteMultiple',
];
/** Messages our delivery raises (others can be registered but never fire in the emulator). */
export const DELIVERED_MESSAGES = new Set(['Create', 'Update', 'Delete']);
