// dvsync: everything the engine needs in one resource group.
// Deploy: az deployment group create -g <rg> -f infra/main.bicep -p @infra/main.parameters.json
// Identity-based everywhere (no storage or Service Bus keys); the only secrets are Dataverse
// app-registration secrets, kept in Key Vault and referenced from app settings.
targetScope = 'resourceGroup'

@description('Short name used as a prefix for every resource (3-11 lowercase letters/digits).')
@minLength(3)
@maxLength(11)
param baseName string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Node.js major version for the Functions runtime.')
@allowed(['20', '22'])
param nodeVersion string = '20'

@description('Maximum instances of the Flex Consumption app (per-function scaling: the worker scales on its own).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Service Bus tier: Standard supports sessions and duplicate detection; Premium adds isolation and 100 MB messages.')
@allowed(['Standard', 'Premium'])
param serviceBusSku string = 'Standard'

@description('Ordering buckets (Service Bus sessions) for the changes queue; see README "Ordering".')
@minValue(1)
@maxValue(1024)
param sessionBuckets int = 64

@description('DVSYNC_ENVIRONMENTS app setting (JSON): Dataverse environments and their application users.')
param dataverseEnvironments string

@description('Routes file path relative to the app root.')
param routesFile string = 'routes.json'

@description('E-mail address that receives dead-letter and failure alerts; empty for none.')
param alertEmail string = ''

@description('Tags applied to every resource.')
param tags object = {}

var suffix = uniqueString(resourceGroup().id, baseName)
var names = {
  identity: 'id-${baseName}-${suffix}'
  storage: take('st${baseName}${suffix}', 24)
  serviceBus: 'sb-${baseName}-${suffix}'
  logs: 'log-${baseName}-${suffix}'
  insights: 'appi-${baseName}-${suffix}'
  plan: 'plan-${baseName}-${suffix}'
  app: 'func-${baseName}-${suffix}'
  vault: take('kv-${baseName}-${suffix}', 24)
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: tags
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: { name: names.storage, location: location, tags: tags, principalId: identity.properties.principalId }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: { name: names.serviceBus, location: location, tags: tags, sku: serviceBusSku, principalId: identity.properties.principalId }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logsName: names.logs
    insightsName: names.insights
    location: location
    tags: tags
    principalId: identity.properties.principalId
    serviceBusNamespaceId: serviceBus.outputs.namespaceId
    queueNames: serviceBus.outputs.queueNames
    alertEmail: alertEmail
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: { name: names.vault, location: location, tags: tags, principalId: identity.properties.principalId }
}

module app 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: names.plan
    appName: names.app
    location: location
    tags: tags
    identityId: identity.id
    identityClientId: identity.properties.clientId
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusFqdn: serviceBus.outputs.fullyQualifiedNamespace
    insightsConnectionString: monitoring.outputs.connectionString
    appSettings: {
      DVSYNC_ENVIRONMENTS: dataverseEnvironments
      DVSYNC_ROUTES_FILE: routesFile
      DVSYNC_CHANGES_QUEUE: serviceBus.outputs.changesQueue
      DVSYNC_INBOUND_QUEUE: serviceBus.outputs.inboundQueue
      DVSYNC_SESSION_BUCKETS: string(sessionBuckets)
      DVSYNC_KEY_VAULT_URI: vault.outputs.uri
    }
  }
}

output functionAppName string = app.outputs.name
output functionAppHostName string = app.outputs.defaultHostName
output webhookUrl string = 'https://${app.outputs.defaultHostName}/api/dataverse/webhook'
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output storageAccountName string = storage.outputs.name
output keyVaultUri string = vault.outputs.uri
output identityClientId string = identity.properties.clientId
