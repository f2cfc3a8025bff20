"""A scenario's PSA data into the ConnectWise PSA fake, in ConnectWise's shapes and ids, and read back as
ConnectWise holds it.

Into ConnectWise (`ConnectWiseFake.load`, integer ids from 1; the connector's custom fields defined
first, as an MSP does: `Entra Object ID` and the facts on contacts, the facts on companies):
* a client is a company: `identifier` (the name's letters and digits, numbered when taken), `name`,
  `website`, its billing email as `invoiceToEmailAddress`, `deletedFlag` when inactive, facts in
  custom fields. Further domains and a main email have no place: dropped.
* a contact: `firstName` (ConnectWise requires one: the email's local part when blank), `lastName`,
  `company`, `title`, `addressLine1`, `city`, `state`, `zip`, `inactiveFlag`; the email as the default
  `Email` communication item and each additional email as another, the phone as `Direct`, the mobile as
  `Cell`; the Entra id and facts in custom fields. Department (a reference into ConnectWise's own
  table), office, country and UPN: dropped, with a note. No inactive reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.config import ConnectWiseSettings
from shared.devtools.psa_fakes import ConnectWiseFake, PsaFake
from shared.devtools.psa_load.vendor import LoadedPsa, text
from shared.models import PsaClient, PsaContact
from shared.psa.connectwise.mapping import company_identifier
from shared.psa.fact_fields import FactFields

__all__ = ["ENTRA_ID_FIELD", "UNHELD", "UNHELD_FACTS", "ConnectWisePsa"]

UNHELD = frozenset({"department", "office_location", "country", "upn", "inactive_reason"})
UNHELD_FACTS = frozenset({"licenses", "notes"})
ENTRA_ID_FIELD = "Entra Object ID"
FACTS = FactFields.from_settings(ConnectWiseSettings())
_KEYS = {"title": "title", "street": "addressLine1", "city": "city", "state": "state", "postal_code": "zip"}


class ConnectWisePsa(LoadedPsa):
    name = "connectwise"
    setting = "PSA_CONNECTWISE"
    fake_type = ConnectWiseFake
    unheld, unheld_facts = UNHELD, UNHELD_FACTS
    fake: ConnectWiseFake

    def __init__(self, fake: PsaFake) -> None:
        super().__init__(fake)
        self.fields: dict[tuple[str, str], int] = {}  # (entity, caption) -> field id
        self._identifiers: set[str] = set()  # company identifiers taken (ConnectWise wants them unique)

    def _prepare(self) -> None:
        for caption in (ENTRA_ID_FIELD, *FACTS.contact.values()):
            self.fields[("contact", caption)] = self.fake.define_field(caption)
        for caption in FACTS.client.values():
            self.fields[("company", caption)] = self.fake.define_field(caption, entity="company")

    def connection(self) -> dict[str, Any]:
        fake = self.fake
        return {
            "base_url": fake.base_url,
            "company_id": fake.company_id,
            "public_key": fake.public_key,
            "private_key": fake.private_key,
            "client_id": fake.client_id,
            "entra_id_field": ENTRA_ID_FIELD,
        }

    def _client(self, client: PsaClient) -> dict[str, Any]:
        if client.domains or client.main_email:
            self.notes.append(f"client {client.id}: ConnectWise keeps one website, no main email (dropped)")
        attempt = 0
        while company_identifier(client.name, attempt).lower() in self._identifiers:
            attempt += 1
        identifier = company_identifier(client.name, attempt)
        self._identifiers.add(identifier.lower())
        body: dict[str, Any] = {"identifier": identifier, "name": client.name, "deletedFlag": not client.active}
        if client.website:
            body["website"] = client.website
        if client.billing_email:
            body["invoiceToEmailAddress"] = client.billing_email
        if client.microsoft is not None:
            body["customFields"] = self._custom("company", FACTS.client_values(client.microsoft))
        return body

    def _contact(self, contact: PsaContact) -> dict[str, Any]:
        dropped = [name for name in sorted(UNHELD - {"inactive_reason"}) if getattr(contact, name).strip()]
        if dropped:
            self.notes.append(f"contact {contact.id}: ConnectWise holds no {', '.join(dropped)} (dropped)")
        first = contact.first_name.strip() or contact.email.partition("@")[0] or "Contact"
        body: dict[str, Any] = {
            "firstName": first,
            "company": {"id": int(self.ids.psa("client", contact.client_id))},
            "inactiveFlag": not contact.active,
            **{key: getattr(contact, name).strip() for name, key in _KEYS.items() if getattr(contact, name).strip()},
        }
        if contact.last_name.strip():
            body["lastName"] = contact.last_name.strip()
        emails = [contact.email, *contact.additional_emails]
        items = [_item("Email", value, index == 0) for index, value in enumerate(emails) if value.strip()]
        phones = (("Direct", contact.phone), ("Cell", contact.mobile))
        items += [_item(kind, value, kind == "Direct") for kind, value in phones if value.strip()]
        if items:
            body["communicationItems"] = items
        values = FACTS.contact_values(contact.microsoft) if contact.microsoft is not None else {}
        if contact.entra_user_id:
            values = {ENTRA_ID_FIELD: contact.entra_user_id, **values}
        if values:
            body["customFields"] = self._custom("contact", values)
        return body

    def _custom(self, entity: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
        return [{"id": self.fields[(entity, caption)], "value": value} for caption, value in values.items() if value]

    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        return PsaClient(
            id=self.ids.scenario("client", str(record["id"])),
            name=text(record.get("name")),
            website=text(record.get("website")) or None,
            billing_email=text(record.get("invoiceToEmailAddress")) or None,
            active=not record.get("deletedFlag"),
            microsoft=FACTS.client_facts(_values(record)),
        )

    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        items = [i for i in record.get("communicationItems") or [] if isinstance(i, dict)]
        emails = [i for i in items if i.get("communicationType") == "Email"]
        primary = next((i for i in emails if i.get("defaultFlag")), next(iter(emails), None))
        company = record.get("company") or {}
        values = _values(record)
        return PsaContact(
            id=self.ids.scenario("contact", str(record["id"])),
            client_id=self.ids.scenario("client", str(company.get("id"))) if company.get("id") else "",
            first_name=text(record.get("firstName")),
            last_name=text(record.get("lastName")),
            email=text(primary.get("value")) if primary else "",
            additional_emails=[text(i.get("value")) for i in emails if i is not primary],
            phone=_first(items, "Direct"),
            mobile=_first(items, "Cell"),
            **{name: text(record.get(key)) for name, key in _KEYS.items()},
            active=not record.get("inactiveFlag"),
            entra_user_id=text(values.get(ENTRA_ID_FIELD)) or None,
            microsoft=FACTS.contact_facts(values),
        )


def _item(type_name: str, value: str, default: bool) -> dict[str, Any]:
    return {"type": {"name": type_name}, "value": value.strip(), "defaultFlag": default}


def _first(items: list[dict[str, Any]], type_name: str) -> str:
    of_type = [i for i in items if text((i.get("type") or {}).get("name")).lower() == type_name.lower()]
    of_type.sort(key=lambda i: not i.get("defaultFlag"))
    return text(of_type[0].get("value")) if of_type else ""


def _values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(f.get("caption")): f.get("value") for f in record.get("customFields") or [] if isinstance(f, dict)}
