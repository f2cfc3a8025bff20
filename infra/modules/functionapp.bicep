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
param signInClientId string
param signInTenantId string

// Let through without sign-in: each of these authenticates its caller itself. The PSA webhook by its
// HMAC signature, the Graph change notifications by their clientState, the admin-consent callback by
// its signed, expiring state; the OpenAPI document is public.
var anonymousPaths = [
  '/api/webhooks/*'
  '/api/webhooks/connectwise' // ConnectWise's callbacks and Autotask's webhooks, by their exact paths too
  '/api/webhooks/autotask'
  '/api/notifications/*'
  '/api/notifications/users' // the two Graph posts to, also by their exact paths
  '/api/notifications/lifecycle'
  '/api/consent/callback'
  '/api/openapi.json'
]

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
  // checkov:skip=CKV_AZURE_222: The PSA calls the webhook from the internet; App Service Authentication signs everyone else in (authsettingsV2 below), the webhook is checked by its signature.
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

// App Service Authentication: every request but the anonymous paths signs in with Entra ID (people
// through the browser, scripts with an access token for the sign-in app); the platform then hands the
// app X-MS-CLIENT-PRINCIPAL, whose app roles (admin, reader) functions/auth.py checks. Callers cannot
// set that header themselves while this is on, and the app refuses it when this is off.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads this config resource as a site of its own; the site's settings and skips are on the site above:
  // checkov:skip=CKV_AZURE_13: This resource is the App Service Authentication of the site (authsettingsV2), not a site without it.
  // checkov:skip=CKV_AZURE_63: Not a site: HTTP logging belongs to the site above; Flex Consumption logs through Application Insights.
  // checkov:skip=CKV_AZURE_65: Not a site: detailed error pages belong to the site above, which answers JSON errors.
  // checkov:skip=CKV_AZURE_66: Not a site: failed request tracing belongs to the site above; Application Insights records requests.
  // checkov:skip=CKV_AZURE_80: Not a site: the app runs Python 3.11 on Flex Consumption, no .NET Framework.
  // checkov:skip=CKV_AZURE_88: Not a site: Flex Consumption deploys from a blob container, no Azure Files share.
  // checkov:skip=CKV_AZURE_222: Not a site: the site above is public for the PSA webhook, as its own skip says.
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // A request with neither a session nor a valid token goes to the sign-in page (the console is a
      // page); scripts send an access token for the sign-in app.
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: anonymousPaths
    }
    httpSettings: {
      requireHttps: true
    }
    login: {
      tokenStore: {
        enabled: false // the app never calls anything with the signed-in user's tokens
      }
    }
    identityProviders: empty(signInClientId) ? {} : {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: signInClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${signInTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            signInClientId
            'api://${signInClientId}'
          ]
        }
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
