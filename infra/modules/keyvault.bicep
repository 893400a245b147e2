// Key Vault for Dataverse app-registration secrets. App settings reference them with
// @Microsoft.KeyVault(SecretUri=...) (main.bicep secretSettings) and the app identity reads them (Key Vault Secrets User).
// The template declares no secrets: secrets an operator puts here survive every redeployment.
param name string
param location string
param tags object
param principalId string
@description('Purge protection (see main.bicep keyVaultPurgeProtection).')
param purgeProtection bool
@description('Recover the soft-deleted vault of this name (createMode recover) instead of creating a new one.')
param recover bool

var secretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    createMode: recover ? 'recover' : 'default'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    // "Enabling this functionality is irreversible - that is, the property does not accept false as its value"
    // (Microsoft.KeyVault/vaults VaultProperties.enablePurgeProtection): off is sent as null (omitted), never false,
    // so a later run with the parameter off does not fail on a vault that has it on.
    enablePurgeProtection: purgeProtection ? true : null
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRole)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output uri string = vault.properties.vaultUri
output name string = vault.name
