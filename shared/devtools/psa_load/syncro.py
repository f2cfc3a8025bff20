"""A scenario's PSA data into the Syncro fake, in Syncro's shapes and ids, and read back as Syncro holds it.

Into Syncro (`SyncroFake.load`, integer ids from 1 in the scenario's order):
* a client is a customer: `business_name`, its billing (else main) email as the customer `email`,
  `disabled` when inactive, Microsoft facts in the seed integration's custom fields (R8.4). Syncro
  customers have no website or domains: dropped (tenant->client suggestions then rest on the email's
  domain, review only, R1.5).
* a contact: one `name` (first and last joined), `email`, `phone`, `mobile`, `title`, `address1`,
  `city`, `state`, `zip`; inactive as the connector marks it (`azure_account_status`, R8.3: the sync's
  wording for a reason the scenario gives, "Inactive" for one a person set); facts in custom fields.
  No additional emails, department, office, country or UPN in Syncro: dropped, with a note.

Read back, a contact is inactive when `azure_account_status` holds anything (the connector's
documented marker); its reason is the one that wording names, else null.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.devtools.psa_fakes import SyncroFake
from shared.devtools.psa_load.vendor import LoadedPsa, join_name, split_name, text
from shared.models import ClientMicrosoftFacts, MicrosoftFacts, PsaClient, PsaContact
from shared.psa.syncro import CONTACT_FACT_PROPERTIES, CUSTOMER_FACT_PROPERTIES, INACTIVE_PROPERTY
from shared.psa.syncro.mapping import INACTIVE_WORDING, contact_fact_properties, customer_fact_properties

__all__ = ["UNHELD", "UNHELD_FACTS", "SyncroPsa"]

UNHELD = frozenset({"department", "office_location", "country", "upn"})
UNHELD_FACTS = frozenset({"licenses", "notes"})  # the highest licence's name is kept, not every SKU
PERSON_INACTIVE = "Inactive"  # a mark the sync never writes: a contact a person inactivated (R5.3)
_REASON_OF = {wording.casefold(): reason for reason, wording in INACTIVE_WORDING.items()}


class SyncroPsa(LoadedPsa):
    name = "syncro"
    setting = "PSA_SYNCRO"
    fake_type = SyncroFake
    unheld, unheld_facts = UNHELD, UNHELD_FACTS
    fake: SyncroFake

    def connection(self) -> dict[str, Any]:
        return {"base_url": self.fake.base_url, "api_key": self.fake.api_key}

    def _client(self, client: PsaClient) -> dict[str, Any]:
        if client.website or client.domains:
            self.notes.append(f"client {client.id}: Syncro customers have no website or domains (dropped)")
        body: dict[str, Any] = {"business_name": client.name, "disabled": not client.active}
        if client.billing_email or client.main_email:
            body["email"] = client.billing_email or client.main_email
        if client.microsoft is not None:
            body["properties"] = _filled(customer_fact_properties(client.microsoft))
        return body

    def _contact(self, contact: PsaContact) -> dict[str, Any]:
        dropped = [name for name in sorted(UNHELD) if getattr(contact, name).strip()]
        if contact.additional_emails:
            dropped.append("additional_emails")
        if dropped:
            self.notes.append(f"contact {contact.id}: Syncro has no {', '.join(dropped)} (dropped)")
        values = {
            "email": contact.email,
            "phone": contact.phone,
            "mobile": contact.mobile,
            "title": contact.title,
            "address1": contact.street,
            "city": contact.city,
            "state": contact.state,
            "zip": contact.postal_code,
        }
        name = join_name(contact.first_name, contact.last_name) or contact.email or f"Contact {contact.id}"
        body: dict[str, Any] = {"customer_id": int(self.ids.psa("client", contact.client_id)), "name": name}
        body |= {key: value.strip() for key, value in values.items() if value.strip()}
        properties = _filled(contact_fact_properties(contact.microsoft)) if contact.microsoft else {}
        if not contact.active:
            properties[INACTIVE_PROPERTY] = INACTIVE_WORDING.get(contact.inactive_reason or "", PERSON_INACTIVE)
        if properties:
            body["properties"] = properties
        return body

    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        people = join_name(text(record.get("firstname")), text(record.get("lastname")))
        return PsaClient(
            id=self.ids.scenario("client", str(record["id"])),
            name=text(record.get("business_name")) or people or f"Customer {record['id']}",
            main_email=text(record.get("email")) or None,
            active=not record.get("disabled"),
            microsoft=_customer_facts(record.get("properties") or {}),
        )

    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        first, last = split_name(text(record.get("name")))
        properties = record.get("properties") or {}
        mark = text(properties.get(INACTIVE_PROPERTY))
        return PsaContact(
            id=self.ids.scenario("contact", str(record["id"])),
            client_id=self.ids.scenario("client", str(record["customer_id"])),
            first_name=first,
            last_name=last,
            email=text(record.get("email")),
            phone=text(record.get("phone")),
            mobile=text(record.get("mobile")),
            title=text(record.get("title")),
            street=text(record.get("address1")),
            city=text(record.get("city")),
            state=text(record.get("state")),
            postal_code=text(record.get("zip")),
            active=not mark,
            inactive_reason=_REASON_OF.get(mark.casefold()) if mark else None,
            microsoft=_contact_facts(properties),
        )


def _filled(values: Mapping[str, str]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


def _contact_facts(properties: Mapping[str, Any]) -> MicrosoftFacts | None:
    values = {name: text(properties.get(key)) for name, key in CONTACT_FACT_PROPERTIES.items()}
    if not any(values.values()):
        return None
    status = values["mfa_registered"].casefold()
    methods = [m.strip() for m in values["mfa_methods"].split(",") if m.strip()]
    return MicrosoftFacts(
        license=values["license"] or None,
        mfa_registered={"enabled": True, "disabled": False}.get(status),
        mfa_methods=methods if methods or status in ("enabled", "disabled") else None,
        last_sign_in=_when(values["last_sign_in"]),
    )


def _customer_facts(properties: Mapping[str, Any]) -> ClientMicrosoftFacts | None:
    values = {name: text(properties.get(key)) for name, key in CUSTOMER_FACT_PROPERTIES.items()}
    if not any(values.values()):
        return None
    score = float(values["secure_score"]) if values["secure_score"] else None
    licensed = int(float(values["licensed_users"])) if values["licensed_users"] else None
    active = int(float(values["active_users"])) if values["active_users"] else None
    return ClientMicrosoftFacts(secure_score=score, licensed_users=licensed, active_users=active)


def _when(value: str) -> datetime | None:
    if not value:
        return None
    when = datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
