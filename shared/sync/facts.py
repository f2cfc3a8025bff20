"""Microsoft 365 facts kept beside a contact (R4.4): licence, MFA, last sign-in.

Pure. Facts are written only when they change and never count as an update.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from shared.models.base import WireModel
from shared.models.entra import EntraUser
from shared.models.psa import MicrosoftFacts

__all__ = [
    "BUSINESS_SKUS",
    "P1_NOTE",
    "FactsInputs",
    "MfaRegistration",
    "facts_changed",
    "highest_business_license",
    "microsoft_facts",
]

# Microsoft 365 business SKUs, lowest to highest: (skuId, display name).
BUSINESS_SKUS: tuple[tuple[str, str], ...] = (
    ("3b555118-da6a-4418-894f-7df1e2096870", "Microsoft 365 Business Basic"),  # O365_BUSINESS_ESSENTIALS
    ("cdd28e44-67e3-425e-be4c-737fab2899d3", "Microsoft 365 Apps for business"),  # O365_BUSINESS
    ("f245ecc8-75af-4f8e-b61f-27d8114de5f3", "Microsoft 365 Business Standard"),  # O365_BUSINESS_PREMIUM
    ("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "Microsoft 365 Business Premium"),  # SPB
)
_RANK = {sku.lower(): (rank, name) for rank, (sku, name) in enumerate(BUSINESS_SKUS)}

P1_NOTE = "requires Entra ID P1 (MFA status, last sign-in)"


class MfaRegistration(WireModel):
    """One row of Graph's `userRegistrationDetails` report (the parts the sync keeps)."""

    id: str
    is_mfa_registered: bool | None = None
    methods_registered: list[str] = Field(default_factory=list)


class FactsInputs(WireModel):
    """What a tenant's pass read for the facts.

    `entra_p1` False: the tenant answered 403 for sign-in activity and the MFA report; those facts are
    None with a note. `mfa` None: the report was not read this pass, and `sign_in_read` False: sign-in
    activity was not read (delta passes cannot ask for it); in both cases the contact's current values
    are kept, so facts do not flap between full and delta passes.
    """

    sku_part_numbers: dict[str, str] = Field(default_factory=dict)  # skuId -> skuPartNumber
    entra_p1: bool = True
    mfa: dict[str, MfaRegistration] | None = None  # user id -> registration
    sign_in_read: bool = True


def highest_business_license(sku_ids: list[str]) -> str | None:
    """The display name of the highest Microsoft 365 business SKU among `sku_ids`, or None."""
    ranked = [_RANK[s.lower()] for s in sku_ids if s.lower() in _RANK]
    return max(ranked)[1] if ranked else None


def microsoft_facts(user: EntraUser, inputs: FactsInputs, current: MicrosoftFacts | None) -> MicrosoftFacts:
    """The user's facts (R4.4); `current` is the contact's present block, for what was not read."""
    sku_ids = [lic.sku_id for lic in user.assigned_licenses]
    facts = MicrosoftFacts(
        license=highest_business_license(sku_ids),
        licenses=sorted({inputs.sku_part_numbers.get(s, s) for s in sku_ids}),
    )
    if not inputs.entra_p1:
        facts.notes = [P1_NOTE]
        return facts
    if inputs.mfa is None:
        if current is not None:
            facts.mfa_registered, facts.mfa_methods = current.mfa_registered, current.mfa_methods
    elif user.id in inputs.mfa:
        row = inputs.mfa[user.id]
        facts.mfa_registered, facts.mfa_methods = row.is_mfa_registered, sorted(row.methods_registered)
    if not inputs.sign_in_read:
        facts.last_sign_in = current.last_sign_in if current is not None else None
    elif user.sign_in_activity is not None:
        facts.last_sign_in = user.sign_in_activity.last_sign_in_date_time
    return facts


def facts_changed(
    new: MicrosoftFacts, current: MicrosoftFacts | None, held: Collection[str] = tuple(MicrosoftFacts.model_fields)
) -> bool:
    """True if `new` must be written: it differs from the contact's block (a missing block counts as
    empty, so an empty result is not written to a contact that has none) in a fact the PSA keeps
    (`held`, `Capabilities.contact_fact_fields`: the others read back blank, R8.1)."""
    fields = set(held)
    before = current if current is not None else MicrosoftFacts()
    return new.model_dump(include=fields) != before.model_dump(include=fields)
