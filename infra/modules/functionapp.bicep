// Flex Consumption (FC1) plan and the Linux Python function app, running as the user-assigned identity.
// Flex Consumption takes runtime, scale and deployment from functionAppConfig: the app settings
// it deprecates (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT*) are not set.

param planName string
param appName string
param location string
param tags object
param identityId string
param deploymentContainerUrl string
param maximumInstanceCount int
param instanceMemoryMB int
param zoneRedundant bool
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy for Flex Consumption exists only in some regions; it is the zoneRedundant parameter, off by default.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: The PSA calls the webhook from the internet; HTTP functions check a function key or the webhook signature.
  // checkov:skip=CKV_AZURE_17: PSA webhooks present no client certificate; the webhook is checked against WEBHOOK_SECRET instead.
  // checkov:skip=CKV_AZURE_78: Flex Consumption has no FTP and rejects siteConfig.ftpsState; basic publishing credentials are off (ftpCredentials, scmCredentials below).
  // checkov:skip=CKV_AZURE_212: numberOfWorkers does not apply to Flex Consumption, which scales per function from zero; the platform replaces failed instances.
  // checkov:skip=CKV_AZURE_213: An App Service health-check probe every minute would keep a scale-to-zero app running and billed; queue retries and the poison queue handle failed work.
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references in the app settings are resolved with this identity.
    keyVaultReferenceIdentity: identityId
    // Flex Consumption rejects most siteConfig properties (ftpsState, linuxFxVersion, alwaysOn, ...):
    // only these are set.
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Deployments authenticate with Entra ID; publishing user names and passwords are off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
