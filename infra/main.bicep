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

// Flex Consumption accepts 40 to 1000: "The lowest maximum scale in preview is 40. The highest currently supported
// value is 1000" (Learn: azure-functions/flex-consumption-plan, Considerations). A value outside fails the deployment.
@description('Maximum instances of the Flex Consumption app, 40-1000 (per-function scaling: the worker scales on its own).')
@minValue(40)
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

@description('DVSYNC_ENVIRONMENTS app setting (JSON): Dataverse environments and their application users. A managedIdentity credential without clientId is the app\'s identity (AZURE_CLIENT_ID).')
param dataverseEnvironments string

@description('App settings holding secrets, as Key Vault references: setting name → secret URI (https://<vault>.vault.azure.net/secrets/<name>, no version: the latest is used) or the name of a secret in this deployment\'s vault. A setting added by hand is deleted by the next deployment; list it here.')
param secretSettings object = {}

@description('Other (non-secret) app settings the template does not set itself, e.g. DVSYNC_WRITE_TAG; kept across deployments.')
param extraAppSettings object = {}

@description('Routes file path relative to the app root.')
param routesFile string = 'routes.json'

@description('E-mail address that receives dead-letter and failure alerts; empty for none.')
param alertEmail string = ''

@description('Key Vault purge protection. Irreversible once on: the vault and its secrets cannot be purged while soft-deleted (30 days). Off only for throwaway deployments.')
param keyVaultPurgeProtection bool = true

@description('Changes the Key Vault name (empty: the usual name). A deleted vault keeps its name while soft-deleted, so a resource group deleted and recreated under the same name cannot create its vault again: set a salt, or recover it with keyVaultRecover.')
param keyVaultNameSalt string = ''

@description('Recover the soft-deleted Key Vault of this name, with its secrets, instead of creating it (createMode recover). Set it for one run only.')
param keyVaultRecover bool = false

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
  vault: take('kv-${baseName}-${empty(keyVaultNameSalt) ? suffix : uniqueString(resourceGroup().id, baseName, keyVaultNameSalt)}', 24)
}
// Known before the deployment (not a module output), so the secret references below are plain strings.
var vaultUri = 'https://${names.vault}${environment().suffixes.keyvaultDns}/'

// secretSettings as Key Vault references (Learn: app-service/app-service-key-vault-references, "Reference syntax":
// a SecretUri without a version follows rotation within 24 hours). The app resolves them with its user-assigned
// identity (keyVaultReferenceIdentity in modules/functionapp.bicep).
var secretReferences = toObject(items(secretSettings), entry => entry.key, entry => '@Microsoft.KeyVault(SecretUri=${startsWith(entry.value, 'https://') ? entry.value : '${vaultUri}secrets/${entry.value}/'})')

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
  params: {
    name: names.vault
    location: location
    tags: tags
    principalId: identity.properties.principalId
    purgeProtection: keyVaultPurgeProtection
    recover: keyVaultRecover
  }
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
      // The changes queue's lockDuration (PT5M in modules/servicebus.bicep): the worker's batch deadline.
      DVSYNC_CHANGES_LOCK_SECONDS: '300'
      DVSYNC_SESSION_BUCKETS: string(sessionBuckets)
      DVSYNC_KEY_VAULT_URI: vault.outputs.uri
    }
    secretReferences: secretReferences
    extraAppSettings: extraAppSettings
  }
}

output functionAppName string = app.outputs.name
output functionAppHostName string = app.outputs.defaultHostName
output webhookUrl string = 'https://${app.outputs.defaultHostName}/api/dataverse/webhook'
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output storageAccountName string = storage.outputs.name
output keyVaultUri string = vault.outputs.uri
output identityClientId string = identity.properties.clientId
