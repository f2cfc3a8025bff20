"""A scenario's PSA data into the Autotask fake, in Autotask's shapes and ids, and read back as Autotask
holds it.

Into Autotask (`AutotaskFake.load`, integer ids from 1; the connector's UDFs defined first, as an MSP
does in Autotask's UI):
* a client is a company: `companyName`, `companyType` 1 (customer), `webAddress`, `isActive` (a
  boolean on companies), facts in UDFs. Billing and main emails and further domains have no place on
  an Autotask company: dropped.
* a contact: `firstName` and `lastName` (Autotask requires both: the email's local part, and `-` for a
  missing last name, read back as blank), `emailAddress`, `emailAddress2`, `emailAddress3` (further
  additional emails dropped), `phone`, `mobilePhone`, `title`, `addressLine`, `city`, `state`,
  `zipCode`, `isActive` 1/0, `externalID` (the Entra id), facts in UDFs. Department, office, country
  and UPN: dropped, with a note. No inactive reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.config import AutotaskSettings
from shared.devtools.psa_fakes import AutotaskFake
from shared.devtools.psa_load.vendor import LoadedPsa, text
from shared.models import PsaClient, PsaContact
from shared.psa.fact_fields import FactFields

__all__ = ["UNHELD", "UNHELD_FACTS", "AutotaskPsa"]

UNHELD = frozenset({"department", "office_location", "country", "upn", "inactive_reason"})
UNHELD_FACTS = frozenset({"licenses", "notes"})
FACTS = FactFields.from_settings(AutotaskSettings())
NO_LAST_NAME = "-"
_KEYS = {
    "phone": "phone",
    "mobile": "mobilePhone",
    "title": "title",
    "street": "addressLine",
    "city": "city",
    "state": "state",
    "postal_code": "zipCode",
}


class AutotaskPsa(LoadedPsa):
    name = "autotask"
    setting = "PSA_AUTOTASK"
    fake_type = AutotaskFake
    unheld, unheld_facts = UNHELD, UNHELD_FACTS
    fake: AutotaskFake

    def _prepare(self) -> None:
        for name in FACTS.contact.values():
            self.fake.define_udf(name)
        for name in FACTS.client.values():
            self.fake.define_udf(name, entity="Companies")

    def connection(self) -> dict[str, Any]:
        fake = self.fake
        return {
            "discovery_url": f"{fake.root_url}{fake.api_root}",
            "username": fake.username,
            "secret": fake.secret,
            "integration_code": fake.integration_code,
            "requests_per_hour": 10_000,  # this process is the whole app: the database's budget is its to spend
        }

    def _client(self, client: PsaClient) -> dict[str, Any]:
        if client.domains or client.main_email or client.billing_email:
            self.notes.append(f"client {client.id}: Autotask companies keep a web address only, no emails (dropped)")
        body: dict[str, Any] = {"companyName": client.name, "companyType": 1, "isActive": client.active}
        if client.website:
            body["webAddress"] = client.website
        if client.microsoft is not None:
            body["userDefinedFields"] = _udfs(FACTS.client_values(client.microsoft))
        return body

    def _contact(self, contact: PsaContact) -> dict[str, Any]:
        dropped = [name for name in sorted(UNHELD - {"inactive_reason"}) if getattr(contact, name).strip()]
        if contact.additional_emails[2:]:
            dropped.append("additional emails past two")
        if dropped:
            self.notes.append(f"contact {contact.id}: Autotask holds no {', '.join(dropped)} (dropped)")
        extra = [*contact.additional_emails[:2], "", ""]
        values = {"emailAddress": contact.email, "emailAddress2": extra[0], "emailAddress3": extra[1]}
        values |= {key: getattr(contact, name) for name, key in _KEYS.items()}
        body: dict[str, Any] = {
            "companyID": int(self.ids.psa("client", contact.client_id)),
            "firstName": contact.first_name.strip() or contact.email.partition("@")[0] or "Contact",
            "lastName": contact.last_name.strip() or NO_LAST_NAME,
            "isActive": 1 if contact.active else 0,
            **{key: value.strip() for key, value in values.items() if value.strip()},
        }
        if contact.entra_user_id:
            body["externalID"] = contact.entra_user_id
        if contact.microsoft is not None:
            body["userDefinedFields"] = _udfs(FACTS.contact_values(contact.microsoft))
        return body

    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        return PsaClient(
            id=self.ids.scenario("client", str(record["id"])),
            name=text(record.get("companyName")),
            website=text(record.get("webAddress")) or None,
            active=bool(record.get("isActive", True)),
            microsoft=FACTS.client_facts(_values(record)),
        )

    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        last = text(record.get("lastName"))
        return PsaContact(
            id=self.ids.scenario("contact", str(record["id"])),
            client_id=self.ids.scenario("client", str(record["companyID"])),
            first_name=text(record.get("firstName")),
            last_name="" if last == NO_LAST_NAME else last,
            email=text(record.get("emailAddress")),
            additional_emails=[e for e in (text(record.get("emailAddress2")), text(record.get("emailAddress3"))) if e],
            **{name: text(record.get(key)) for name, key in _KEYS.items()},
            active=record.get("isActive") == 1,
            entra_user_id=text(record.get("externalID")) or None,
            microsoft=FACTS.contact_facts(_values(record)),
        )


def _udfs(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in values.items() if value]


def _values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(u.get("name")): u.get("value") for u in record.get("userDefinedFields") or [] if isinstance(u, dict)}
