"""ConnectWise PSA records: contacts and companies as the API renders them, how POST, PUT and PATCH
change them, communication items, and list paging.

Shapes follow `psa-specs/connectwise.json` (`Contact`, `Company`, `ContactCommunicationItem`,
`CustomFieldValue`). Guessed: a record renders every field of `CONTACT_DEFAULTS`/`COMPANY_DEFAULTS`,
any other spec field it was saved with, and `_info`; communication types are a fixed table
(`COMMUNICATION_TYPES`); an email's `domain` is `@` and its domain part; `customFields` renders every
field defined for the entity; the first communication item of a kind becomes its default, and a new
default item takes the flag from the others of its kind.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from shared.devtools.psa_fakes.values import looks_like_email, utc_now_iso
from shared.devtools.psa_fakes.wire import FakeRequest, Refusal

__all__ = [
    "COMMUNICATION_TYPES",
    "COMPANY_DEFAULTS",
    "CONTACT_DEFAULTS",
    "CwRefusal",
    "communication_item",
    "custom_values",
    "page",
    "patch_record",
    "required",
    "store_communication",
]

CwRefusal = Refusal  # answered `{"code", "message", "errors"}` with its status

# id -> (name, communicationType): the types a new ConnectWise database has (a guess at the ids).
COMMUNICATION_TYPES: dict[int, tuple[str, str]] = {
    1: ("Email", "Email"),
    2: ("Direct", "Phone"),
    3: ("Fax", "Fax"),
    4: ("Cell", "Phone"),
    5: ("Home", "Phone"),
}
CONTACT_DEFAULTS: dict[str, Any] = {
    "firstName": None,
    "lastName": None,
    "company": None,
    "site": None,
    "addressLine1": None,
    "addressLine2": None,
    "city": None,
    "state": None,
    "zip": None,
    "department": None,
    "inactiveFlag": False,
    "title": None,
    "communicationItems": [],
    "types": [],
    "customFields": [],
    **{f"userDefinedField{n}": None for n in range(1, 11)},
}
COMPANY_DEFAULTS: dict[str, Any] = {
    "identifier": None,
    "name": None,
    "status": None,
    "addressLine1": None,
    "addressLine2": None,
    "city": None,
    "state": None,
    "zip": None,
    "phoneNumber": None,
    "website": None,
    "deletedFlag": False,
    "types": [],
    "customFields": [],
}


def communication_item(item_id: int, given: Mapping[str, Any]) -> dict[str, Any]:
    """A `ContactCommunicationItem` from what a client sent (`type` by id or name, `value`, ...)."""
    kind_given = given.get("type")
    wanted: Mapping[str, Any] = kind_given if isinstance(kind_given, Mapping) else {}
    type_id = next(
        (i for i, (name, _) in COMMUNICATION_TYPES.items() if i == wanted.get("id") or name == wanted.get("name")),
        None,
    )
    if type_id is None:
        raise CwRefusal(400, "InvalidObject", "communication type is required", [{"field": "type"}])
    name, kind = COMMUNICATION_TYPES[type_id]
    value = str(given.get("value") or "")
    if kind == "Email" and not looks_like_email(value):
        raise CwRefusal(400, "InvalidObject", f"{value!r} is not a valid email address", [{"field": "value"}])
    return {
        "id": item_id,
        "type": {"id": type_id, "name": name},
        "value": value,
        "extension": given.get("extension"),
        "defaultFlag": bool(given.get("defaultFlag")),
        "domain": "@" + value.split("@", 1)[1] if kind == "Email" and "@" in value else None,
        "communicationType": kind,
    }


def custom_values(given: Any, definitions: Mapping[int, Mapping[str, Any]], entity: str) -> list[dict[str, Any]]:
    """The whole `customFields` array after an update: a field not in `given` is blanked (ConnectWise
    replaces the array whole); an id not defined for the entity is refused."""
    sent = {}
    for item in given or []:
        field_id = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(field_id, int) or definitions.get(field_id, {}).get("entity") != entity:
            raise CwRefusal(400, "InvalidObject", f"custom field {field_id!r} does not exist", [{"field": "id"}])
        sent[field_id] = copy.deepcopy(item.get("value"))
    return [
        {
            "id": field_id,
            "caption": definition["caption"],
            "type": "Text",
            "entryMethod": "EntryField",
            "numberOfDecimals": 0,
            "value": sent.get(field_id),
        }
        for field_id, definition in sorted(definitions.items())
        if definition["entity"] == entity
    ]


def patch_record(record: dict[str, Any], operations: list[Any], defaults: Mapping[str, Any]) -> None:
    """JSON-patch `add`/`replace`/`remove` on top-level or nested (`company/id`) paths, in place."""
    for operation in operations:
        op, path = str(operation.get("op", "")).lower(), str(operation.get("path", "")).strip("/")
        head = path.split("/", 1)[0]
        if op not in ("add", "replace", "remove"):
            raise CwRefusal(400, "InvalidPatch", f"{op!r} is not a supported patch operation")
        if head.lower() == "communicationitems":
            value = operation.get("value")
            given = "System.String" if isinstance(value, str) else "System.Object"
            given = "Newtonsoft.Json.Linq.JArray" if isinstance(value, list) else given
            raise CwRefusal(
                400,
                "InvalidPatch",
                f"Could not cast or convert from {given} to "
                "ConnectWise.Apis.v3_0.v2015_3.Company.Contact.ContactCommunicationItem[].",
            )
        if head not in defaults:
            raise CwRefusal(400, "InvalidPatch", f"{path!r} is not a field that can be patched")
        value = None if op == "remove" else copy.deepcopy(operation.get("value"))
        if "/" in path:
            current = record.get(head)
            holder: dict[str, Any] = current if isinstance(current, dict) else {}
            holder[path.split("/", 1)[1]] = value
            record[head] = holder
        else:
            record[head] = value
    record["_info"] = {"lastUpdated": utc_now_iso(), "updatedBy": "api"}


def store_communication(contact: dict[str, Any], item: dict[str, Any]) -> None:
    """Add `item` in id order; a default item (or the first of its kind) is the only default one."""
    same_kind = [i for i in contact["communicationItems"] if i["communicationType"] == item["communicationType"]]
    item["defaultFlag"] = item["defaultFlag"] or not same_kind
    for other in same_kind if item["defaultFlag"] else []:
        other["defaultFlag"] = False
    contact["communicationItems"] = sorted([*contact["communicationItems"], item], key=lambda i: i["id"])
    contact["_info"] = {"lastUpdated": utc_now_iso(), "updatedBy": "api"}


def required(resource: str, field: str) -> dict[str, str]:
    """The `errors` item of a missing required field."""
    return {"code": "NullValue", "message": f"The {field} field is required.", "resource": resource, "field": field}


def page(request: FakeRequest, rows: list[dict[str, Any]], url: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of `rows` (in id order) and its headers; `url` is the list's absolute URL (see the
    `ConnectWiseFake` docstring for the two kinds of paging)."""
    size = min(1000, max(1, int(request.param("pageSize") or 25)))
    base = {k: v[-1] for k, v in request.query.items() if k not in ("page", "pageId")}
    links, headers = [], {}
    if request.headers.get("pagination-type", "").lower() == "forward-only":
        after = int(request.param("pageId") or 0)
        rest = [r for r in rows if r["id"] > after]
        chosen = rest[:size]
        if len(rest) > size:
            links.append(f'<{url}?{urlencode({**base, "pageId": chosen[-1]["id"]})}>; rel="next"')
        headers["pagination-type"] = "forward-only"
    else:
        field, _, direction = (request.param("orderBy") or "id asc").partition(" ")
        rows = sorted(rows, key=lambda r: _sort_key(r.get(field)), reverse=direction.strip().lower() == "desc")
        number, last = max(1, int(request.param("page") or 1)), max(1, -(-len(rows) // size))
        chosen = rows[(number - 1) * size : number * size]
        wanted = [("next", number + 1), ("last", last)] if number < last else []
        wanted += [("prev", number - 1), ("first", 1)] if number > 1 else []
        links = [f'<{url}?{urlencode({**base, "page": target})}>; rel="{rel}"' for rel, target in wanted]
    if links:
        headers["Link"] = ", ".join(links)
    fields = [f.strip() for f in (request.param("fields") or "").split(",") if f.strip()]
    return ([{k: v for k, v in r.items() if k in fields} for r in chosen] if fields else chosen), headers


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (1, str(value).lower())
