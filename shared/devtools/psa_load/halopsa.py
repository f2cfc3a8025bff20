"""A scenario's PSA data into the HaloPSA fake, in Halo's shapes and ids, and read back as Halo holds it.

Into Halo (`HaloFake.load`, integer ids from 1 in the scenario's order; the connector's custom fields
defined first, as an MSP does):
* a client: `name`, `website`, its first further domain as `domain`, its billing email as
  `accountsemailaddress`, `inactive`, Microsoft facts in the `CF...` custom fields. A main email has
  no place on a Halo client: dropped.
* a contact is a user on the client's main site: `firstname`, `surname`, `name` (both joined; the
  email when there is no name, as Halo requires one), `emailaddress`, `email2`, `email3` (further
  additional emails dropped), phone, mobile, title, department, `primary_address` (street line 1, city
  line 3, state line 4, postcode), `inactive`, `azureoid`, facts in custom fields. No office, country
  or UPN: dropped, with a note. Halo keeps no inactive reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.config import HaloSettings
from shared.devtools.psa_fakes import HaloFake
from shared.devtools.psa_load.vendor import LoadedPsa, join_name, split_name, text
from shared.models import PsaClient, PsaContact
from shared.psa.fact_fields import FactFields

__all__ = ["UNHELD", "UNHELD_FACTS", "HaloPsa"]

UNHELD = frozenset({"office_location", "country", "upn", "inactive_reason"})
UNHELD_FACTS = frozenset({"licenses", "notes"})
FACTS = FactFields.from_settings(HaloSettings())
_LINES = {"street": "line1", "city": "line3", "state": "line4", "postal_code": "postcode"}


class HaloPsa(LoadedPsa):
    name = "halopsa"
    setting = "PSA_HALOPSA"
    fake_type = HaloFake
    unheld, unheld_facts = UNHELD, UNHELD_FACTS
    fake: HaloFake

    def _prepare(self) -> None:
        for name in FACTS.contact.values():
            self.fake.define_field(name)
        for name in FACTS.client.values():
            self.fake.define_field(name, table="Area")

    def connection(self) -> dict[str, Any]:
        fake = self.fake
        return {"base_url": fake.base_url, "client_id": fake.client_id, "client_secret": fake.client_secret}

    def _client(self, client: PsaClient) -> dict[str, Any]:
        if client.main_email or client.domains[1:]:
            self.notes.append(f"client {client.id}: Halo keeps a website and one domain, no main email (dropped)")
        body: dict[str, Any] = {"name": client.name, "inactive": not client.active}
        if client.website:
            body["website"] = client.website
        if client.domains:
            body["domain"] = client.domains[0]
        if client.billing_email:
            body["accountsemailaddress"] = client.billing_email
        if client.microsoft is not None:
            body["customfields"] = _custom(FACTS.client_values(client.microsoft))
        return body

    def _contact(self, contact: PsaContact) -> dict[str, Any]:
        dropped = [name for name in sorted(UNHELD - {"inactive_reason"}) if getattr(contact, name).strip()]
        if contact.additional_emails[2:]:
            dropped.append("additional emails past two")
        if dropped:
            self.notes.append(f"contact {contact.id}: Halo has no {', '.join(dropped)} (dropped)")
        extra = [*contact.additional_emails[:2], "", ""]
        values = {
            "firstname": contact.first_name,
            "surname": contact.last_name,
            "emailaddress": contact.email,
            "email2": extra[0],
            "email3": extra[1],
            "phonenumber": contact.phone,
            "mobilenumber": contact.mobile,
            "title": contact.title,
            "department": contact.department,
        }
        body: dict[str, Any] = {
            "client_id": int(self.ids.psa("client", contact.client_id)),
            "name": join_name(contact.first_name, contact.last_name) or contact.email or f"Contact {contact.id}",
            "inactive": not contact.active,
            **{key: value.strip() for key, value in values.items() if value.strip()},
        }
        address = {line: getattr(contact, name).strip() for name, line in _LINES.items() if getattr(contact, name)}
        if address:
            body["primary_address"] = address
        if contact.entra_user_id:
            body["azureoid"] = contact.entra_user_id
        if contact.microsoft is not None:
            body["customfields"] = _custom(FACTS.contact_values(contact.microsoft))
        return body

    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        website, domain = text(record.get("website")), text(record.get("domain"))
        return PsaClient(
            id=self.ids.scenario("client", str(record["id"])),
            name=text(record.get("name")),
            website=website or domain or None,
            billing_email=text(record.get("accountsemailaddress")) or None,
            domains=[domain] if domain and domain != website else [],
            active=not record.get("inactive"),
            microsoft=FACTS.client_facts(_values(record)),
        )

    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        first, last = text(record.get("firstname")), text(record.get("surname"))
        if not first and not last:
            first, last = split_name(text(record.get("name")))
        address = record.get("primary_address") or {}
        return PsaContact(
            id=self.ids.scenario("contact", str(record["id"])),
            client_id=self.ids.scenario("client", str(record["client_id"])),
            first_name=first,
            last_name=last,
            email=text(record.get("emailaddress")),
            additional_emails=[e for e in (text(record.get("email2")), text(record.get("email3"))) if e],
            phone=text(record.get("phonenumber")),
            mobile=text(record.get("mobilenumber")),
            title=text(record.get("title")),
            department=text(record.get("department")),
            **{name: text(address.get(line)) for name, line in _LINES.items()},
            active=not record.get("inactive"),
            entra_user_id=text(record.get("azureoid")) or None,
            microsoft=FACTS.contact_facts(_values(record)),
        )


def _custom(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in values.items() if value]


def _values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(f.get("name")): f.get("value") for f in record.get("customfields") or [] if isinstance(f, dict)}
