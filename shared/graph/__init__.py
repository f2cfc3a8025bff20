"""Microsoft Graph: credentials per customer tenant, request building and fast page reading, delta."""
