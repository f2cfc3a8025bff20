// One Key Vault secret. keyvault.bicep deploys this module only when a value was given.

param vaultName string
param name string
@secure()
param value string
param contentType string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: These are credentials issued elsewhere (Entra client secret or certificate, PSA API key, webhook secret) whose lifetime the issuer sets; an expiry here would only stop the app at an arbitrary date. Rotation is in infra/README.md.
  parent: vault
  name: name
  properties: {
    value: value
    contentType: contentType
  }
}
