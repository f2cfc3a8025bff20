"""HaloPSA users (contacts), clients (`Area`), sites and custom fields: what a save takes and how the
API renders each.

The request side follows `psa-specs/halopsa.json` (`Users`, `Area`, `AddressStore`, `CustomField`: all
`additionalProperties: false`, which the spec check enforces). Halo's responses are declared only as
"Success", so every rendered shape here is a guess from public integrations, and says so:
- a user renders `id`, `name`, `firstname`, `surname`, `site_id`, `site_name`, `client_id`,
  `client_name`, the email, phone and text fields, `primary_address` (`line1`..`line4`, `postcode`),
  `inactive`, `azureoid`, `azure_tenant_id`, `customfields`, `datecreated`, then any other spec field
  it was saved with; lists render users the same way as `GET /Users/{id}` (the real list is slimmer);
- a client renders `id`, `name`, `website`, `domain`, `inactive`, `main_site_id`, `main_site_name`,
  `toplevel_id`, `customfields`; a site `id`, `name`, `client_id`, `client_name`, `inactive`;
- `customfields` renders every field defined for the table (`Users` or `Area`), in id order, as
  `{id, name, label, type, value, display}`; a value saved by `{id or name, value}` replaces that
  field's value only; a field not defined first (`/FieldInfo`) is refused (400), so a connector that
  skips the definition check is caught;
- keys starting with `_` (`_dont_fire_automations`, `_isnew`, ...) are instructions, never stored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from shared.devtools.psa_fakes.values import utc_now_iso
from shared.devtools.psa_fakes.wire import Refusal

__all__ = [
    "ADDRESS_KEYS",
    "HaloRefusal",
    "apply_client",
    "apply_user",
    "field_info",
    "int_or_none",
    "listing",
    "new_client",
    "new_user",
    "render_client",
    "render_site",
    "render_user",
    "resolve_custom_values",
    "text_matches",
]

HaloRefusal = Refusal  # answered `{"message", "details"}` with its status (Halo's error body is a guess)

ADDRESS_KEYS = ("line1", "line2", "line3", "line4", "postcode")
_USER_TEXT = (
    "emailaddress",
    "email2",
    "email3",
    "title",
    "phonenumber",
    "mobilenumber",
    "mobilenumber2",
    "department",
    "notes",
    "azureoid",
    "azure_tenant_id",
)
_USER_SPECIAL = frozenset({"id", "site_id", "client_id", "customfields", "primary_address", "inactive", "name"})
_CLIENT_SPECIAL = frozenset({"id", "customfields", "inactive", "main_site_id", "main_site_name"})
_CLIENT_KEYS = ("name", "website", "domain", "toplevel_id")
USERS_TABLE, CLIENTS_TABLE = "Users", "Area"


# --- custom fields -------------------------------------------------------------------------------


def field_info(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A `/FieldInfo` entry; `usage` and `table_name` name the table (guessed: 3 users, 2 clients)."""
    return {
        "id": definition["id"],
        "name": definition["name"],
        "label": definition.get("label") or definition["name"],
        "type": definition.get("type", 0),
        "inputtype": definition.get("inputtype", 0),
        "usage": 3 if definition["table"] == USERS_TABLE else 2,
        "table_name": definition["table"],
        "custom": 1,
    }


def resolve_custom_values(items: Any, definitions: Mapping[int, Mapping[str, Any]], table: str) -> dict[int, Any]:
    """`customfields` items (`{id or name, value}`) as field id -> value; an undefined field is refused."""
    if not isinstance(items, list):
        raise HaloRefusal(400, "INVALID", "customfields must be a list")
    by_name = {d["name"].lower(): key for key, d in definitions.items() if d["table"] == table}
    values: dict[int, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            raise HaloRefusal(400, "INVALID", "a customfields item must be an object")
        given = item.get("id") or str(item.get("name") or "").lower()
        field_id = given if isinstance(given, int) else by_name.get(given)
        if field_id is None or field_id not in definitions or definitions[field_id]["table"] != table:
            raise HaloRefusal(400, "INVALID", f"custom field {item.get('id') or item.get('name')!r} does not exist")
        values[field_id] = copy.deepcopy(item.get("value"))
    return values


def _render_custom(values: Mapping[int, Any], definitions: Mapping[int, Mapping[str, Any]], table: str) -> list[Any]:
    rendered = []
    for field_id, definition in sorted(definitions.items()):
        if definition["table"] == table:
            value = copy.deepcopy(values.get(field_id))
            label = definition.get("label") or definition["name"]
            display = "" if value is None else str(value)
            entry = {"id": field_id, "name": definition["name"], "label": label, "type": 0, "value": value}
            rendered.append({**entry, "display": display})
    return rendered


# --- users ---------------------------------------------------------------------------------------


def new_user(user_id: int, body: Mapping[str, Any], custom: dict[int, Any]) -> dict[str, Any]:
    """A user from a create (`site_id` already checked by the caller, `custom` resolved)."""
    record: dict[str, Any] = {key: None for key in _USER_TEXT}
    record.update(
        id=user_id,
        firstname=None,
        surname=None,
        name="",
        inactive=False,
        primary_address=dict.fromkeys(ADDRESS_KEYS),
        customfields={},
        datecreated=utc_now_iso(),
    )
    apply_user(record, body, custom)
    if not str(record["name"] or "").strip():
        raise HaloRefusal(400, "INVALID", "Please enter a name for the user")
    return record


def apply_user(record: dict[str, Any], body: Mapping[str, Any], custom: dict[int, Any]) -> None:
    """A save: the keys sent replace the stored ones (address keys and custom fields one by one); `name`
    follows `firstname` + `surname` when they are sent without it (a guess)."""
    for key, value in body.items():
        if key.startswith("_") or key in _USER_SPECIAL:
            continue
        record[key] = copy.deepcopy(value)
    if "site_id" in body:
        record["site_id"] = int(body["site_id"])
    if "inactive" in body:
        record["inactive"] = bool(body["inactive"])
    if isinstance(body.get("primary_address"), dict):
        for key, value in body["primary_address"].items():
            if key in ADDRESS_KEYS:
                record["primary_address"][key] = value
    record["customfields"].update(custom)
    if "name" in body:
        record["name"] = body["name"] or ""
    elif "firstname" in body or "surname" in body:
        record["name"] = " ".join(str(p) for p in (record.get("firstname"), record.get("surname")) if p)


def render_user(
    record: Mapping[str, Any],
    site: Mapping[str, Any] | None,
    client: Mapping[str, Any] | None,
    definitions: Mapping[int, Mapping[str, Any]],
) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": record["id"],
        "name": record["name"],
        "firstname": record["firstname"],
        "surname": record["surname"],
        "site_id": record["site_id"],
        "site_name": site["name"] if site else None,
        "client_id": client["id"] if client else None,
        "client_name": client["name"] if client else None,
        **{key: record.get(key) for key in _USER_TEXT},
        "primary_address": dict(record["primary_address"]),
        "inactive": record["inactive"],
        "customfields": _render_custom(record["customfields"], definitions, USERS_TABLE),
        "datecreated": record["datecreated"],
    }
    for key, value in record.items():
        rendered.setdefault(key, copy.deepcopy(value))
    return rendered


# --- clients and sites ---------------------------------------------------------------------------


def new_client(client_id: int, body: Mapping[str, Any], custom: dict[int, Any]) -> dict[str, Any]:
    if not str(body.get("name") or "").strip():
        raise HaloRefusal(400, "INVALID", "Please enter a name for the client")
    record: dict[str, Any] = dict.fromkeys(_CLIENT_KEYS)
    record.update(id=client_id, toplevel_id=1, inactive=False, main_site_id=None, customfields={})
    apply_client(record, body, custom)
    return record


def apply_client(record: dict[str, Any], body: Mapping[str, Any], custom: dict[int, Any]) -> None:
    for key, value in body.items():
        if not key.startswith("_") and key not in _CLIENT_SPECIAL:
            record[key] = copy.deepcopy(value)
    if "inactive" in body:
        record["inactive"] = bool(body["inactive"])
    record["customfields"].update(custom)


def render_client(
    record: Mapping[str, Any], main_site: Mapping[str, Any] | None, definitions: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": record["id"],
        **{key: record.get(key) for key in _CLIENT_KEYS},
        "inactive": record["inactive"],
        "main_site_id": record["main_site_id"],
        "main_site_name": main_site["name"] if main_site else None,
        "customfields": _render_custom(record["customfields"], definitions, CLIENTS_TABLE),
    }
    for key, value in record.items():
        rendered.setdefault(key, copy.deepcopy(value))
    return rendered


def render_site(record: Mapping[str, Any], client: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "client_id": record["client_id"],
        "client_name": client["name"] if client else None,
        "inactive": record["inactive"],
    }


def listing(query: Mapping[str, list[str]], key: str, rows: list[dict[str, Any]], page_size: int) -> dict[str, Any]:
    """A list answer: every row (`count` caps it), or with `pageinate=true` one page (`page_no` from 1)."""
    wanted = {name: values[-1] for name, values in query.items() if values}
    if wanted.get("pageinate") != "true":
        count = int_or_none(wanted.get("count"))
        return {"record_count": len(rows), key: rows[:count] if count else rows}
    size = max(1, int_or_none(wanted.get("page_size")) or page_size)
    page = max(1, int_or_none(wanted.get("page_no")) or 1)
    return {"page_no": page, "page_size": size, "record_count": len(rows), key: rows[(page - 1) * size : page * size]}


def int_or_none(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None


def text_matches(record: Mapping[str, Any], wanted: str, keys: Sequence[str]) -> bool:
    """Halo's `search`: a case-insensitive substring of any of `keys` (which keys it covers is a guess)."""
    return any(wanted in str(record.get(key) or "").lower() for key in keys)
