"""The app's data models: pydantic, camelCase on the wire. Nothing here does I/O."""

from shared.models.budget import BudgetMark
from shared.models.contacts import Ambiguity, AmbiguityStatus, ContactLink, InactiveReason
from shared.models.cursor import DeltaCursor
from shared.models.entra import (
    USER_SELECT,
    AssignedLicense,
    ConnectionHealth,
    EntraUser,
    SignInActivity,
    Tenant,
    TenantSource,
    VerifiedDomain,
)
from shared.models.mapping import Candidate, Mapping, MappingStatus, MatchReason
from shared.models.psa import (
    CONTACT_FIELDS,
    Capabilities,
    ClientMicrosoftFacts,
    ContactFields,
    MicrosoftFacts,
    PsaClient,
    PsaContact,
)
from shared.models.runs import (
    Counts,
    Outcome,
    RunRecord,
    RunStatus,
    RunType,
    TenantResult,
    TenantStatus,
    Trigger,
    UserOutcome,
)
from shared.models.sync_settings import (
    DEFAULT_EXCLUSION_PATTERNS,
    FieldControls,
    Filters,
    SafetyBrake,
    SyncSettings,
    TenantOverrides,
)

__all__ = [
    "CONTACT_FIELDS",
    "DEFAULT_EXCLUSION_PATTERNS",
    "USER_SELECT",
    "Ambiguity",
    "AmbiguityStatus",
    "AssignedLicense",
    "BudgetMark",
    "Candidate",
    "Capabilities",
    "ClientMicrosoftFacts",
    "ConnectionHealth",
    "ContactFields",
    "ContactLink",
    "Counts",
    "DeltaCursor",
    "EntraUser",
    "FieldControls",
    "Filters",
    "InactiveReason",
    "Mapping",
    "MappingStatus",
    "MatchReason",
    "MicrosoftFacts",
    "Outcome",
    "PsaClient",
    "PsaContact",
    "RunRecord",
    "RunStatus",
    "RunType",
    "SafetyBrake",
    "SignInActivity",
    "SyncSettings",
    "Tenant",
    "TenantOverrides",
    "TenantResult",
    "TenantSource",
    "TenantStatus",
    "Trigger",
    "UserOutcome",
    "VerifiedDomain",
]
