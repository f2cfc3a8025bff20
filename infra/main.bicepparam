using './main.bicep'

// Deployment values for infra/main.bicep; edit them here, or copy this file per environment.
// No secret ever goes in this file: the secrets are read from environment variables when
// the deployment is built (empty or unset = no Key Vault secret is written; set it later with
// `az keyvault secret set`, see infra/README.md).

param baseName = 'entrasync'

// Flex Consumption scale
param maximumInstanceCount = 10
param instanceMemoryMB = 2048
param zoneRedundant = false
param storageSku = 'Standard_GRS'
param logRetentionInDays = 30

// Microsoft Graph (the app registration of step 2 in infra/README.md)
param graphClientId = ''
param graphCredentialType = 'secret'
param discoveryMode = 'gdap'

// Schedules (NCRONTAB, six fields)
param syncSchedule = '0 0 * * * *'
param discoverySchedule = '0 30 2 * * *'
param fullSyncIntervalHours = 24

// The PSA
param psaProvider = 'directory'
param psaBaseUrl = ''
param psaClientId = ''             // HaloPSA client id / ConnectWise clientId
param connectWiseCompanyId = ''
param connectWisePublicKey = ''
param autotaskUserName = ''
param autotaskIntegrationCode = ''
param autotaskRequestsPerHour = 2000

// Who may set the secrets afterwards (object id of a user or group; empty for none).
param secretsOfficerPrincipalId = readEnvironmentVariable('SECRETS_OFFICER_PRINCIPAL_ID', '')

// Secrets: from the environment only.
param graphClientSecret = readEnvironmentVariable('GRAPH_CLIENT_SECRET', '')
param graphClientCertificate = readEnvironmentVariable('GRAPH_CLIENT_CERTIFICATE', '')
param psaApiKey = readEnvironmentVariable('PSA_API_KEY', '')
param webhookSecret = readEnvironmentVariable('WEBHOOK_SECRET', '')
param consentStateSecret = readEnvironmentVariable('CONSENT_STATE_SECRET', '')
