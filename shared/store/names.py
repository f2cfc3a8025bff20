"""Names of every table and queue the app uses; Bicep, host.json and tests read them from here."""

from __future__ import annotations

__all__ = ["POISON_QUEUE", "SYNC_QUEUE", "TABLES", "Table"]


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

# One message per tenant; the host moves a message here after its last failed try.
SYNC_QUEUE = "tenant-sync"
POISON_QUEUE = f"{SYNC_QUEUE}-poison"
