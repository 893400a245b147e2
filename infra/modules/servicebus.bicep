// Service Bus: the changes queue (sessions = ordering buckets per target row, duplicate detection on
// the deterministic messageId) and the inbound queue for external systems. These properties are the
// same ones the local emulator reads from emulators/servicebus/queues.json; a test keeps them equal.
param name string
param location string
param tags object
@allowed(['Standard', 'Premium'])
param sku string
@description('Principal (the app identity) granted Azure Service Bus Data Owner on each queue.')
param principalId string

// Azure Service Bus Data Owner, scoped to each queue (not the namespace). Data Receiver would do for the triggers,
// but target-based scaling reads the queue's length, which needs the Manage right: "With Listen rights scaling
// reverts to incremental scale because the queue or topic length can't be used to inform scaling decisions"
// (Learn: azure-functions/functions-target-based-scaling, "Service Bus queues and topics"; the Service Bus
// extension's permissions table lists Data Receiver or Data Owner for triggers). Data Owner includes send.
var dataOwnerRole = '090c5cfd-751d-490a-894a-3ce6f1109419'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku, tier: sku }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource changes 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'dvsync-changes'
  properties: {
    requiresSession: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    // The longest Service Bus allows. The worker does not renew a batch's locks: it writes until the lock less a
    // reserve and reschedules the rest. main.bicep tells it with DVSYNC_CHANGES_LOCK_SECONDS; a test keeps the two equal.
    lockDuration: 'PT5M'
    defaultMessageTimeToLive: 'P14D'
    deadLetteringOnMessageExpiration: true
  }
}

resource inbound 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'dvsync-inbound'
  properties: {
    requiresSession: false
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P14D'
    deadLetteringOnMessageExpiration: true
  }
}

resource changesDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(changes.id, principalId, dataOwnerRole)
  scope: changes
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataOwnerRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource inboundDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(inbound.id, principalId, dataOwnerRole)
  scope: inbound
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataOwnerRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output namespaceId string = namespace.id
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output changesQueue string = changes.name
output inboundQueue string = inbound.name
output queueNames array = [changes.name, inbound.name]
