"""A scenario's PSA data into the Alga fake, in Alga's shapes and ids, and read back as Alga holds it.

Into Alga (`AlgaFake.load`, UUID ids made from the scenario's ids, so the same scenario loads alike):
* a client: `client_name`, `billing_cycle` monthly (Alga requires one), its website as `url` (https://
  added to a bare domain), `billing_email`, its main email as `email`, `is_inactive`, Microsoft facts in
  `properties` under the connector's names. Further domains have no place: dropped.
* a contact: `full_name` (first and last joined; the email's local part when both are blank), `email`,
  `role` (title), `phone_numbers` (work, then mobile), `additional_email_addresses`, `is_inactive`. No
  address, department, office, country, UPN or Microsoft facts on Alga contacts: dropped.
* **Alga holds an address once in the whole tenant** (primary or additional, ignoring case): the first
  contact in the scenario's order keeps it; a later contact's additional address already held is
  dropped, and a later contact whose primary address is held (or who has none: Alga requires one) is
  not loaded. Each is noted.

Read back: the phone is the first `work` number (the default first), the mobile the first `mobile`
one; `is_inactive` is the flag; Alga keeps no inactive reason (null).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.devtools.psa_fakes import AlgaFake, PsaFake
from shared.devtools.psa_load.vendor import LoadedPsa, join_name, split_name, text
from shared.models import ClientMicrosoftFacts, PsaClient, PsaContact
from shared.psa.alga import CLIENT_FACT_PROPERTIES

__all__ = ["UNHELD", "UNHELD_FACTS", "AlgaPsa"]

UNHELD = frozenset(
    {"street", "city", "state", "postal_code", "country", "department", "office_location", "upn", "inactive_reason"}
)
UNHELD_FACTS = frozenset({"license", "licenses", "mfa_registered", "mfa_methods", "last_sign_in", "notes"})
_IDS = uuid.UUID("3f0c2a4e-8d7b-4c61-9a2e-5b1d7e9f4a30")


class AlgaPsa(LoadedPsa):
    name = "alga"
    setting = "PSA_ALGA"
    fake_type = AlgaFake
    unheld, unheld_facts = UNHELD, UNHELD_FACTS
    fake: AlgaFake

    def __init__(self, fake: PsaFake) -> None:
        super().__init__(fake)
        self._emails: set[str] = set()  # addresses loaded so far: Alga holds each once per tenant

    def connection(self) -> dict[str, Any]:
        return {"base_url": self.fake.base_url, "api_key": self.fake.api_key, "tenant_id": self.fake.tenant}

    def _client(self, client: PsaClient) -> dict[str, Any]:
        if client.domains:
            self.notes.append(f"client {client.id}: Alga keeps one website per client (further domains dropped)")
        body: dict[str, Any] = {
            "client_id": str(uuid.uuid5(_IDS, f"client:{client.id}")),
            "client_name": client.name,
            "billing_cycle": "monthly",
            "client_type": "company",
            "is_inactive": not client.active,
        }
        if client.website and client.website.strip():
            site = client.website.strip()
            body["url"] = site if "://" in site else f"https://{site}"
        if client.billing_email:
            body["billing_email"] = client.billing_email
        if client.main_email:
            body["email"] = client.main_email
        if client.microsoft is not None:
            body["properties"] = {key: getattr(client.microsoft, name) for name, key in CLIENT_FACT_PROPERTIES.items()}
        return body

    def _contact(self, contact: PsaContact) -> dict[str, Any] | None:
        email = contact.email.strip()
        if not email or email.lower() in self._emails:
            why = "has no email (Alga requires one)" if not email else f"has {email}, which an earlier contact holds"
            self.notes.append(f"contact {contact.id}: not loaded: it {why} (Alga holds an address once per tenant)")
            return None
        self._emails.add(email.lower())
        additional = []
        for address in contact.additional_emails:
            if address.strip().lower() in self._emails:
                self.notes.append(
                    f"contact {contact.id}: additional email {address} dropped (an earlier contact holds it; "
                    "Alga holds an address once per tenant)"
                )
                continue
            self._emails.add(address.strip().lower())
            additional.append({"email_address": address.strip()})
        dropped = [name for name in sorted(UNHELD - {"inactive_reason"}) if getattr(contact, name).strip()]
        if contact.microsoft is not None:
            dropped.append("Microsoft facts")
        if dropped:
            self.notes.append(f"contact {contact.id}: Alga contacts have no {', '.join(dropped)} (dropped)")
        phones = [(kind, value.strip()) for kind, value in (("work", contact.phone), ("mobile", contact.mobile))]
        numbers = [{"phone_number": v, "canonical_type": k} for k, v in phones if v]
        body: dict[str, Any] = {
            "contact_name_id": str(uuid.uuid5(_IDS, f"contact:{contact.id}")),
            "full_name": join_name(contact.first_name, contact.last_name) or email.partition("@")[0],
            "email": email,
            "client_id": self.ids.psa("client", contact.client_id),
            "is_inactive": not contact.active,
        }
        if contact.title.strip():
            body["role"] = contact.title.strip()
        if numbers:
            body["phone_numbers"] = [n | {"is_default": i == 0} for i, n in enumerate(numbers)]
        if additional:
            body["additional_email_addresses"] = additional
        return body

    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        return PsaClient(
            id=self.ids.scenario("client", str(record["client_id"])),
            name=text(record.get("client_name")),
            website=text(record.get("url")) or None,
            billing_email=text(record.get("billing_email")) or None,
            main_email=text(record.get("email")) or None,
            active=not record.get("is_inactive"),
            microsoft=_client_facts(record.get("properties") or {}),
        )

    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        first, last = split_name(text(record.get("full_name")))
        client = record.get("client_id")
        return PsaContact(
            id=self.ids.scenario("contact", str(record["contact_name_id"])),
            client_id=self.ids.scenario("client", str(client)) if client else "",
            first_name=first,
            last_name=last,
            email=text(record.get("email")),
            additional_emails=[text(e.get("email_address")) for e in record.get("additional_email_addresses") or []],
            title=text(record.get("role")),
            phone=_phone(record, "work"),
            mobile=_phone(record, "mobile"),
            active=not record.get("is_inactive"),
        )


def _phone(record: Mapping[str, Any], kind: str) -> str:
    numbers = [p for p in record.get("phone_numbers") or [] if text(p.get("canonical_type")).lower() == kind]
    numbers.sort(key=lambda p: (not p.get("is_default"), p.get("display_order") or 0))
    return text(numbers[0].get("phone_number")) if numbers else ""


def _client_facts(properties: Mapping[str, Any]) -> ClientMicrosoftFacts | None:
    values = {name: properties.get(key) for name, key in CLIENT_FACT_PROPERTIES.items()}
    if all(value is None for value in values.values()):
        return None
    return ClientMicrosoftFacts.model_validate(values)
