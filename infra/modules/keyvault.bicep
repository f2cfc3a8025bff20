// Key Vault (RBAC mode, purge protection) holding the app's secrets. A secret is written only when
// its value is given: an empty parameter creates nothing, and the secret is set later with
// `az keyvault secret set` (infra/README.md).

param name string
param location string
param tags object
param logAnalyticsWorkspaceId string

param graphClientSecretName string
@secure()
param graphClientSecret string

param graphClientCertificateName string
@secure()
param graphClientCertificate string

param psaApiKeyName string
@secure()
param psaApiKey string

param webhookSecretName string
@secure()
param webhookSecret string

param consentStateSecretName string
@secure()
param consentStateSecret string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: The app has no virtual network (Flex Consumption without VNet integration has no fixed outbound addresses), so it reaches the vault over its public endpoint; access is Entra RBAC only, and only the app identity may read secrets. Private endpoints are the hardening step in infra/README.md.
  // checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109: without a virtual network the app can only reach the vault's public endpoint.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

module graphClientSecretValue './secret.bicep' = if (!empty(graphClientSecret)) {
  name: 'secret-graph-client-secret'
  params: {
    vaultName: vault.name
    name: graphClientSecretName
    value: graphClientSecret
    contentType: 'text/plain'
  }
}

module graphClientCertificateValue './secret.bicep' = if (!empty(graphClientCertificate)) {
  name: 'secret-graph-client-certificate'
  params: {
    vaultName: vault.name
    name: graphClientCertificateName
    value: graphClientCertificate
    contentType: startsWith(graphClientCertificate, '-----BEGIN') ? 'application/x-pem-file' : 'application/x-pkcs12'
  }
}

module psaApiKeyValue './secret.bicep' = if (!empty(psaApiKey)) {
  name: 'secret-psa-api-key'
  params: {
    vaultName: vault.name
    name: psaApiKeyName
    value: psaApiKey
    contentType: 'text/plain'
  }
}

module webhookSecretValue './secret.bicep' = if (!empty(webhookSecret)) {
  name: 'secret-webhook-secret'
  params: {
    vaultName: vault.name
    name: webhookSecretName
    value: webhookSecret
    contentType: 'text/plain'
  }
}

module consentStateSecretValue './secret.bicep' = if (!empty(consentStateSecret)) {
  name: 'secret-consent-state-secret'
  params: {
    vaultName: vault.name
    name: consentStateSecretName
    value: consentStateSecret
    contentType: 'text/plain'
  }
}

// Who read or changed which secret, kept with the app's logs.
resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-logs'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
