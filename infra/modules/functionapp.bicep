// Flex Consumption Function App running dist/functions/index.js, with identity-based connections
// to Storage, Service Bus and Application Insights. Runtime and scale live in functionAppConfig
// (Flex has no FUNCTIONS_WORKER_RUNTIME / linuxFxVersion settings).
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param nodeVersion string
param maximumInstanceCount int
param instanceMemoryMB int
param storageAccountName string
param deploymentContainerUrl string
param serviceBusFqdn string
param insightsConnectionString string
@description('Engine settings (DVSYNC_*) from main.bicep.')
param appSettings object
@description('Key Vault references by setting name (values @Microsoft.KeyVault(SecretUri=...)), built by main.bicep from secretSettings.')
param secretReferences object
@description('Non-secret settings an operator keeps across deployments (main.bicep extraAppSettings).')
param extraAppSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      runtime: { name: 'node', version: nodeVersion }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
    }
  }
}

// The settings the template owns: the connections, all keyless through the user-assigned identity, whose client id
// comes from the identity resource itself (nothing to copy from a first run's outputs into a second run's parameters).
var platformSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The engine reaches its tables (ledger, failures, checkpoints) and blobs (large messages) with the same identity.
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${environment().suffixes.storage}'
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${environment().suffixes.storage}'
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFqdn
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The app's identity for the Azure SDK (DefaultAzureCredential) and for dvsync: a `managedIdentity` credential in
  // DVSYNC_ENVIRONMENTS without a clientId uses this identity (shared/config/settings.ts). The app has no
  // system-assigned identity, so without it such a credential would find none.
  AZURE_CLIENT_ID: identityClientId
}

// A deployment writes the whole collection: a setting that is not in it is deleted, so a Key Vault reference added
// by hand in the portal is gone after the next run (Azure/azure-quickstart-templates#8495, Azure/azure-cli#11718).
// Everything the app needs is therefore a parameter. Later arguments of union() win: an operator's extra or secret
// setting never replaces an engine or connection setting of the same name.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(extraAppSettings, secretReferences, appSettings, platformSettings)
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
