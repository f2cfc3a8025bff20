"""Names of every table the app uses; Bicep and tests read them from here. The queues' names are
`shared.models.queue`'s (the trigger binds them too)."""

from __future__ import annotations

__all__ = ["TABLES", "Table"]


class Table:
    TENANTS = "Tenants"
    MAPPINGS = "Mappings"
    CONTACT_LINKS = "ContactLinks"
    SETTINGS = "Settings"
    AMBIGUITIES = "Ambiguities"
    RUNS = "Runs"
    RUN_TENANTS = "RunTenants"
    RUN_USERS = "RunUsers"
    SYNC_STATE = "SyncState"
    DIRECTORY_CLIENTS = "DirectoryClients"
    DIRECTORY_CONTACTS = "DirectoryContacts"
    SECURE_SCORES = "SecureScores"
    LICENSES = "Licenses"
    WEBHOOK_RECEIPTS = "WebhookReceipts"
    SUBSCRIPTIONS = "Subscriptions"  # Graph change-notification subscriptions, one per confirmed tenant


TABLES: tuple[str, ...] = tuple(
    value for name, value in vars(Table).items() if not name.startswith("_") and isinstance(value, str)
)
