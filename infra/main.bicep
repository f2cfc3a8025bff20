// Entra -> PSA contact sync: everything the Functions app needs in one resource group.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
//
// No secret is ever an app setting: secrets given here go into Key Vault, and the app settings
// hold Key Vault references resolved by the platform with the app's user-assigned identity.
// infra/README.md is the deploy guide.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Naming and placement

@description('Short name used in every resource name (lower-case letters and digits).')
@minLength(3)
@maxLength(11)
param baseName string = 'entrasync'

@description('Azure region; it must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// Flex Consumption scale

@description('Most instances the app may scale out to. It also bounds how many tenants sync at once, and so the load on the PSA API.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Zone-redundant plan (only in regions that support it for Flex Consumption).')
param zoneRedundant bool = false

@description('Replication of the storage account that holds the app state (links, runs, queues).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_GRS'

@description('Days the Log Analytics workspace keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

// ---------------------------------------------------------------------------------------------
// Microsoft Graph: one multi-tenant app registration in the partner tenant

@description('Tenant id of the MSP (partner) tenant that holds the Graph app registration.')
param partnerTenantId string = tenant().tenantId

@description('Application (client) id of the Graph app registration; may be set on a second deployment once the app exists.')
param graphClientId string = ''

@description('How the app proves itself to Entra ID: a client secret or certificate kept in Key Vault, or a federated credential backed by the managed identity (no secret at all).')
@allowed([
  'secret'
  'certificate'
  'federatedIdentity'
])
param graphCredentialType string = 'secret'

@description('Client secret of the Graph app. Optional: empty creates no Key Vault secret (set it later with az keyvault secret set).')
@secure()
param graphClientSecret string = ''

@description('Certificate of the Graph app as base64 PKCS#12 (no password). Optional: empty creates no Key Vault secret (import it later).')
@secure()
param graphClientCertificate string = ''

@description('Entra ID authority host (change only for a national cloud).')
param graphAuthority string = 'login.microsoftonline.com'

@description('Microsoft Graph base URL (change only for a national cloud).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Where customer tenants come from: active GDAP relationships, tenants registered by id, or both.')
@allowed([
  'gdap'
  'registered'
  'both'
])
param discoveryMode string = 'gdap'

// ---------------------------------------------------------------------------------------------
// Schedules (NCRONTAB, six fields)

@description('When the all-tenant sync runs.')
param syncSchedule string = '0 0 * * * *'

@description('When tenant discovery runs.')
param discoverySchedule string = '0 30 2 * * *'

@description('Hours between full (non-delta) passes over a tenant.')
@minValue(1)
@maxValue(168)
param fullSyncIntervalHours int = 24

// ---------------------------------------------------------------------------------------------
// Graph change notifications: a user changed in Entra reaches the PSA within a minute

@description('Subscribe each confirmed tenant to Microsoft Graph change notifications on its users (no permission beyond User.Read.All). Off: the hourly delta pass only, and the timer deletes the subscriptions it made.')
param notificationsEnabled bool = true

@description('The app\'s public https address Graph posts notifications to (empty: https://<function app name>.azurewebsites.net). /api/notifications/* is excluded from sign-in.')
param notificationUrl string = ''

@description('Seconds a tenant\'s notifications are gathered into one delta pass.')
@minValue(0)
@maxValue(300)
param notificationWindowSeconds int = 5

@description('When subscriptions are made, renewed (a day before they expire) and deleted (NCRONTAB).')
param subscriptionSchedule string = '0 15 */6 * * *'

// ---------------------------------------------------------------------------------------------
// The PSA

@description('PSA connector: directory is the built-in contact directory; syncro, alga, halopsa, connectwise and autotask use those PSAs\' REST APIs.')
@allowed([
  'directory'
  'syncro'
  'alga'
  'halopsa'
  'connectwise'
  'autotask'
])
param psaProvider string = 'directory'

@description('Base URL of the PSA API, https (empty for the built-in directory): Syncro https://<subdomain>.syncromsp.com/api/v1, Alga PSA https://<host>/api/v1, HaloPSA https://<tenant>.halopsa.com/api, ConnectWise PSA https://api-<region>.myconnectwise.net/v4_6_release/apis/3.0; Autotask: empty (the zone is discovered).')
param psaBaseUrl string = ''

@description('The PSA\'s secret, kept in Key Vault and given to the chosen connector: the API key (Syncro, Alga PSA), the API application\'s client secret (HaloPSA), the API member\'s private key (ConnectWise PSA) or the API user\'s secret (Autotask). Optional: empty creates no Key Vault secret (set it later with az keyvault secret set).')
@secure()
param psaApiKey string = ''

@description('Alga PSA only: the tenant id sent as x-tenant-id (empty: none).')
param psaTenantId string = ''

@description('HaloPSA: the API application\'s client id. ConnectWise PSA: the clientId from developer.connectwise.com.')
param psaClientId string = ''

@description('HaloPSA hosted only: the tenant sent as ?tenant= with the token request (empty: none).')
param haloTenant string = ''

@description('ConnectWise PSA: the company id you sign in with, and the API member\'s public key.')
param connectWiseCompanyId string = ''
param connectWisePublicKey string = ''

@description('ConnectWise PSA: where the Entra object id goes, userDefinedField1..10 or a contact custom field\'s caption (empty: nowhere).')
param connectWiseEntraIdField string = ''

@description('Autotask: the API user\'s user name and the API tracking identifier (integration code).')
param autotaskUserName string = ''
param autotaskIntegrationCode string = ''

@description('Autotask: the share of the database\'s 10,000 requests an hour the app may spend, across all its instances.')
@minValue(1)
@maxValue(10000)
param autotaskRequestsPerHour int = 2000

@description('Autotask: the API user\'s resource id; a webhook for a change it made is the sync\'s own and starts nothing (empty: every webhook starts a run).')
param autotaskApiResourceId string = ''

@description('Shared secret the PSA webhook is checked against. Optional: empty creates no Key Vault secret (set it later with az keyvault secret set).')
@secure()
param webhookSecret string = ''

@description('Signs the state of the console admin-consent links (onboarding a tenant without GDAP). Optional: empty creates no Key Vault secret (set it later with az keyvault secret set); until then the consent link answers 503 naming CONSENT_STATE_SECRET.')
@secure()
param consentStateSecret string = ''

@description('Object id of a user or group given Key Vault Secrets Officer on the vault, to set secrets after the deployment. Empty: none.')
param secretsOfficerPrincipalId string = ''

// ---------------------------------------------------------------------------------------------
// Sign-in: App Service Authentication with Entra ID in front of the app (infra/README.md, "Sign-in")

@description('Application (client) id of the sign-in app registration, the one with the app roles admin and reader. Empty: no identity provider yet, so every route but the signed ones answers 401.')
param signInClientId string = ''

@description('Tenant whose people and scripts sign in (the MSP\'s own).')
param signInTenantId string = tenant().tenantId

// ---------------------------------------------------------------------------------------------
// Names

var suffix = uniqueString(resourceGroup().id, baseName)
// The vault's name is not derivable from the app's public host name.
var vaultSuffix = uniqueString(resourceGroup().id, baseName, 'vault')
var stem = toLower(baseName)
var functionAppName = 'func-${stem}-${suffix}'
var deploymentContainerName = 'app-package-${take(suffix, 8)}'

// Must equal shared/store/names.py: TABLES, and shared/models/queue.py: SYNC_QUEUE and POISON_QUEUE.
// tests/unit/test_deploy_settings.py compares these lists with the code.
var tableNames = [
  'Tenants'
  'Mappings'
  'ContactLinks'
  'Settings'
  'Ambiguities'
  'Runs'
  'RunTenants'
  'RunUsers'
  'SyncState'
  'DirectoryClients'
  'DirectoryContacts'
  'SecureScores'
  'Licenses'
  'WebhookReceipts'
  'Subscriptions'
]
var queueNames = [
  'tenant-sync'
  'tenant-sync-poison'
]

// Key Vault secret names, one per secret app setting.
var graphClientSecretName = 'graph-client-secret'
var graphClientCertificateName = 'graph-client-certificate'
var psaApiKeyName = 'psa-api-key'
var webhookSecretName = 'webhook-secret'
var consentStateSecretName = 'consent-state-secret'

// ---------------------------------------------------------------------------------------------
// Resources

module identity './modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${stem}-${suffix}'
    location: location
    tags: tags
  }
}

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${stem}-${suffix}'
    appInsightsName: 'appi-${stem}-${suffix}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module storage './modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('st${stem}${suffix}', 24)
    location: location
    tags: tags
    skuName: storageSku
    deploymentContainerName: deploymentContainerName
    tableNames: tableNames
    queueNames: queueNames
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module vault './modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: take('kv-${stem}-${vaultSuffix}', 24)
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    graphClientSecretName: graphClientSecretName
    graphClientSecret: graphClientSecret
    graphClientCertificateName: graphClientCertificateName
    graphClientCertificate: graphClientCertificate
    psaApiKeyName: psaApiKeyName
    psaApiKey: psaApiKey
    webhookSecretName: webhookSecretName
    webhookSecret: webhookSecret
    consentStateSecretName: consentStateSecretName
    consentStateSecret: consentStateSecret
  }
}

module roles './modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: vault.outputs.name
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
  }
}

// A reference the platform resolves with the app's identity (keyVaultReferenceIdentity).
var kvRef = '@Microsoft.KeyVault(SecretUri=${vault.outputs.uri}secrets/'

// Every setting shared/config.py reads, plus the platform's own. No secret values here:
// the secret settings are Key Vault references or empty.
// tests/unit/test_deploy_settings.py checks this block against shared.config.Settings.
var appSettings = {
  // Storage through the managed identity (the local form is the AzureWebJobsStorage connection string).
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  STORAGE_NAME_PREFIX: ''
  // Telemetry, sent with the managed identity (local authentication is off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // Microsoft Graph
  PARTNER_TENANT_ID: partnerTenantId
  GRAPH_CLIENT_ID: graphClientId
  GRAPH_CLIENT_SECRET: graphCredentialType == 'secret' ? '${kvRef}${graphClientSecretName})' : ''
  GRAPH_CLIENT_CERTIFICATE: graphCredentialType == 'certificate' ? '${kvRef}${graphClientCertificateName})' : ''
  GRAPH_FEDERATED_IDENTITY_CLIENT_ID: graphCredentialType == 'federatedIdentity' ? identity.outputs.clientId : ''
  GRAPH_AUTHORITY: graphAuthority
  GRAPH_BASE_URL: graphBaseUrl
  GRAPH_CA_BUNDLE: ''
  DISCOVERY_MODE: discoveryMode
  // Schedules
  SYNC_SCHEDULE: syncSchedule
  DISCOVERY_SCHEDULE: discoverySchedule
  FULL_SYNC_INTERVAL_HOURS: string(fullSyncIntervalHours)
  // The PSA and its webhook
  PSA_PROVIDER: psaProvider
  // PSA requests are paced through a budget shared in Table Storage; when storage fails each instance falls
  // back to 1/maximumInstanceCount of the PSA's rate limit (shared/psa/http/pacing.py).
  PSA_MAX_INSTANCES: string(maximumInstanceCount)
  // The chosen connector's settings (PSA_<PROVIDER>__<NAME>); an empty value is the vendor's default
  // from shared/config.py (Syncro 180 a minute; Alga PSA burst 120, 60 a minute).
  PSA_SYNCRO__BASE_URL: psaProvider == 'syncro' ? psaBaseUrl : ''
  PSA_SYNCRO__API_KEY: psaProvider == 'syncro' ? '${kvRef}${psaApiKeyName})' : ''
  PSA_SYNCRO__RATE_LIMIT_PER_MINUTE: ''
  PSA_SYNCRO__BURST: ''
  PSA_SYNCRO__TIMEOUT_SECONDS: ''
  PSA_SYNCRO__RETRY_ATTEMPTS: ''
  PSA_SYNCRO__RETRY_INITIAL_WAIT_SECONDS: ''
  PSA_SYNCRO__RETRY_MAX_WAIT_SECONDS: ''
  PSA_ALGA__BASE_URL: psaProvider == 'alga' ? psaBaseUrl : ''
  PSA_ALGA__API_KEY: psaProvider == 'alga' ? '${kvRef}${psaApiKeyName})' : ''
  PSA_ALGA__TENANT_ID: psaProvider == 'alga' ? psaTenantId : ''
  PSA_ALGA__RATE_LIMIT_PER_MINUTE: ''
  PSA_ALGA__BURST: ''
  PSA_ALGA__TIMEOUT_SECONDS: ''
  PSA_ALGA__RETRY_ATTEMPTS: ''
  PSA_ALGA__RETRY_INITIAL_WAIT_SECONDS: ''
  PSA_ALGA__RETRY_MAX_WAIT_SECONDS: ''
  // HaloPSA: client credentials; 300 requests per rolling 5 minutes unless set.
  PSA_HALOPSA__BASE_URL: psaProvider == 'halopsa' ? psaBaseUrl : ''
  PSA_HALOPSA__TIMEOUT_SECONDS: ''
  PSA_HALOPSA__RETRY_ATTEMPTS: ''
  PSA_HALOPSA__RETRY_INITIAL_WAIT_SECONDS: ''
  PSA_HALOPSA__RETRY_MAX_WAIT_SECONDS: ''
  PSA_HALOPSA__CONTACT_LICENSE_FIELD: ''
  PSA_HALOPSA__CONTACT_MFA_STATUS_FIELD: ''
  PSA_HALOPSA__CONTACT_MFA_METHODS_FIELD: ''
  PSA_HALOPSA__CONTACT_LAST_SIGN_IN_FIELD: ''
  PSA_HALOPSA__CLIENT_SECURE_SCORE_FIELD: ''
  PSA_HALOPSA__CLIENT_LICENSED_USERS_FIELD: ''
  PSA_HALOPSA__CLIENT_ACTIVE_USERS_FIELD: ''
  PSA_HALOPSA__CLIENT_ID: psaProvider == 'halopsa' ? psaClientId : ''
  PSA_HALOPSA__CLIENT_SECRET: psaProvider == 'halopsa' ? '${kvRef}${psaApiKeyName})' : ''
  PSA_HALOPSA__TENANT: psaProvider == 'halopsa' ? haloTenant : ''
  PSA_HALOPSA__AUTH_URL: ''
  PSA_HALOPSA__RATE_LIMIT_REQUESTS: ''
  PSA_HALOPSA__RATE_WINDOW_SECONDS: ''
  PSA_HALOPSA__PAGE_SIZE: ''
  PSA_HALOPSA__BATCH_SIZE: ''
  // ConnectWise PSA: Basic auth from the API member's keys, its callbacks checked by their own signature.
  PSA_CONNECTWISE__BASE_URL: psaProvider == 'connectwise' ? psaBaseUrl : ''
  PSA_CONNECTWISE__TIMEOUT_SECONDS: ''
  PSA_CONNECTWISE__RETRY_ATTEMPTS: ''
  PSA_CONNECTWISE__RETRY_INITIAL_WAIT_SECONDS: ''
  PSA_CONNECTWISE__RETRY_MAX_WAIT_SECONDS: ''
  PSA_CONNECTWISE__CONTACT_LICENSE_FIELD: ''
  PSA_CONNECTWISE__CONTACT_MFA_STATUS_FIELD: ''
  PSA_CONNECTWISE__CONTACT_MFA_METHODS_FIELD: ''
  PSA_CONNECTWISE__CONTACT_LAST_SIGN_IN_FIELD: ''
  PSA_CONNECTWISE__CLIENT_SECURE_SCORE_FIELD: ''
  PSA_CONNECTWISE__CLIENT_LICENSED_USERS_FIELD: ''
  PSA_CONNECTWISE__CLIENT_ACTIVE_USERS_FIELD: ''
  PSA_CONNECTWISE__COMPANY_ID: psaProvider == 'connectwise' ? connectWiseCompanyId : ''
  PSA_CONNECTWISE__PUBLIC_KEY: psaProvider == 'connectwise' ? connectWisePublicKey : ''
  PSA_CONNECTWISE__PRIVATE_KEY: psaProvider == 'connectwise' ? '${kvRef}${psaApiKeyName})' : ''
  PSA_CONNECTWISE__CLIENT_ID: psaProvider == 'connectwise' ? psaClientId : ''
  PSA_CONNECTWISE__API_VERSION: ''
  PSA_CONNECTWISE__RATE_LIMIT_PER_MINUTE: ''
  PSA_CONNECTWISE__ENTRA_ID_FIELD: psaProvider == 'connectwise' ? connectWiseEntraIdField : ''
  PSA_CONNECTWISE__PHONE_TYPE: ''
  PSA_CONNECTWISE__MOBILE_TYPE: ''
  // Autotask: the zone is discovered; the app spends at most autotaskRequestsPerHour of the shared 10,000 an
  // hour, counted across instances through the budget shared in storage; its webhooks are checked with the webhook secret.
  PSA_AUTOTASK__BASE_URL: psaProvider == 'autotask' ? psaBaseUrl : ''
  PSA_AUTOTASK__TIMEOUT_SECONDS: ''
  PSA_AUTOTASK__RETRY_ATTEMPTS: ''
  PSA_AUTOTASK__RETRY_INITIAL_WAIT_SECONDS: ''
  PSA_AUTOTASK__RETRY_MAX_WAIT_SECONDS: ''
  PSA_AUTOTASK__CONTACT_LICENSE_FIELD: ''
  PSA_AUTOTASK__CONTACT_MFA_STATUS_FIELD: ''
  PSA_AUTOTASK__CONTACT_MFA_METHODS_FIELD: ''
  PSA_AUTOTASK__CONTACT_LAST_SIGN_IN_FIELD: ''
  PSA_AUTOTASK__CLIENT_SECURE_SCORE_FIELD: ''
  PSA_AUTOTASK__CLIENT_LICENSED_USERS_FIELD: ''
  PSA_AUTOTASK__CLIENT_ACTIVE_USERS_FIELD: ''
  PSA_AUTOTASK__DISCOVERY_URL: ''
  PSA_AUTOTASK__USERNAME: psaProvider == 'autotask' ? autotaskUserName : ''
  PSA_AUTOTASK__SECRET: psaProvider == 'autotask' ? '${kvRef}${psaApiKeyName})' : ''
  PSA_AUTOTASK__INTEGRATION_CODE: psaProvider == 'autotask' ? autotaskIntegrationCode : ''
  PSA_AUTOTASK__REQUESTS_PER_HOUR: string(autotaskRequestsPerHour)
  PSA_AUTOTASK__THREADS_PER_ENDPOINT: ''
  PSA_AUTOTASK__WEBHOOK_SECRET: psaProvider == 'autotask' ? '${kvRef}${webhookSecretName})' : ''
  PSA_AUTOTASK__API_RESOURCE_ID: psaProvider == 'autotask' ? autotaskApiResourceId : ''
  PSA_AUTOTASK__OWNER_RESOURCE_ID: ''
  WEBHOOK_SECRET: '${kvRef}${webhookSecretName})'
  // The console: signs admin-consent links
  CONSENT_STATE_SECRET: '${kvRef}${consentStateSecretName})'
  // Graph change notifications (Graph reaches the app at NOTIFICATION_URL/api/notifications/users)
  NOTIFICATIONS_ENABLED: string(notificationsEnabled)
  NOTIFICATION_URL: empty(notificationUrl) ? 'https://${functionAppName}.azurewebsites.net' : notificationUrl
  NOTIFICATION_WINDOW_SECONDS: string(notificationWindowSeconds)
  SUBSCRIPTION_SCHEDULE: subscriptionSchedule
}

module app './modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: 'plan-${stem}-${suffix}'
    appName: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    zoneRedundant: zoneRedundant
    appSettings: appSettings
    signInClientId: signInClientId
    signInTenantId: signInTenantId
  }
  // The identity must hold its roles before the app first starts and resolves its settings.
  dependsOn: [
    roles
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs (no secrets)

output functionAppName string = app.outputs.name
output functionAppHostName string = app.outputs.defaultHostName
output keyVaultName string = vault.outputs.name
output storageAccountName string = storage.outputs.name
output managedIdentityClientId string = identity.outputs.clientId
output managedIdentityPrincipalId string = identity.outputs.principalId

// For the optional federated credential on the Graph app registration (infra/README.md, step 3).
output federatedCredentialIssuer string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
output federatedCredentialSubject string = identity.outputs.principalId
output federatedCredentialAudience string = 'api://AzureADTokenExchange'
