"""Syncro customer and contact records: the fields each takes and how the API renders them.

Rendered shapes follow the response examples in `psa-specs/syncro.json` (Syncro gives no response
schemas, only examples). Guesses, where the spec is silent: `title` is rendered on contacts (the spec
writes it only in the PUT body); `account_id` is 1; a customer renders its contacts in `contacts`
(the example shows an empty list); timestamps are UTC with a `Z`.
"""

from __future__ import annotations

import copy
from typing import Any

from shared.devtools.psa_fakes.values import utc_now_iso

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOMER_FIELDS",
    "new_contact",
    "new_customer",
    "render_contact",
    "render_customer",
]

ACCOUNT_ID = 1

# What a POST/PUT body may set (the spec's request bodies, plus `properties` on contacts: the custom
# fields, which Syncro's response examples carry).
CONTACT_FIELDS = frozenset(
    {
        "customer_id",
        "name",
        "address1",
        "address2",
        "city",
        "state",
        "zip",
        "email",
        "phone",
        "mobile",
        "notes",
        "title",
        "properties",
    }
)
CUSTOMER_FIELDS = frozenset(
    {
        "business_name",
        "firstname",
        "lastname",
        "email",
        "phone",
        "mobile",
        "address",
        "address_2",
        "city",
        "state",
        "zip",
        "notes",
        "get_sms",
        "opt_out",
        "no_email",
        "get_billing",
        "get_marketing",
        "get_reports",
        "ref_customer_id",
        "referred_by",
        "tax_rate_id",
        "notification_email",
        "invoice_cc_emails",
        "invoice_term_id",
        "properties",
        "consent",
    }
)

_CONTACT_KEYS = (
    "id",
    "name",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "email",
    "phone",
    "mobile",
    "latitude",
    "longitude",
    "customer_id",
    "account_id",
    "notes",
    "created_at",
    "updated_at",
    "vendor_id",
    "properties",
    "opt_out",
    "extension",
    "title",
)
_CUSTOMER_KEYS = (
    "id",
    "firstname",
    "lastname",
    "fullname",
    "business_name",
    "email",
    "phone",
    "mobile",
    "created_at",
    "updated_at",
    "pdf_url",
    "address",
    "address_2",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "notes",
    "get_sms",
    "opt_out",
    "disabled",
    "no_email",
    "location_name",
    "location_id",
    "properties",
    "online_profile_url",
    "tax_rate_id",
    "notification_email",
    "invoice_cc_emails",
    "invoice_term_id",
    "referred_by",
    "ref_customer_id",
    "business_and_full_name",
    "business_then_name",
)


def new_contact(contact_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    now = utc_now_iso()
    record: dict[str, Any] = dict.fromkeys(_CONTACT_KEYS)
    record.update(id=contact_id, account_id=ACCOUNT_ID, created_at=now, updated_at=now, properties={}, opt_out=False)
    record.update(copy.deepcopy(fields))
    return record


def new_customer(customer_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    now = utc_now_iso()
    record: dict[str, Any] = dict.fromkeys(_CUSTOMER_KEYS)
    record.update(
        id=customer_id,
        created_at=now,
        updated_at=now,
        properties={},
        get_sms=False,
        opt_out=False,
        disabled=False,
        no_email=False,
    )
    record.update(copy.deepcopy(fields))
    return record


def render_contact(record: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(record.get(key)) for key in _CONTACT_KEYS}


def render_customer(record: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    rendered = {key: copy.deepcopy(record.get(key)) for key in _CUSTOMER_KEYS}
    fullname = " ".join(part for part in (record.get("firstname"), record.get("lastname")) if part) or None
    business = record.get("business_name")
    rendered["fullname"] = fullname
    rendered["business_and_full_name"] = " - ".join(p for p in (business, fullname) if p) or None
    rendered["business_then_name"] = business or fullname
    rendered["contacts"] = [render_contact(contact) for contact in contacts]
    return rendered
