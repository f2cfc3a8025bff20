"""Autotask contacts and companies: their camelCase fields, the JSON query filters, field metadata, and
the checks a write gets.

Fields are the spec's `ContactModel`/`CompanyModel` properties (PascalCase there) as the REST payloads
spell them, in camelCase (`CompanyID` -> `companyID`); a record renders every one of them, unset ones
as null, and `userDefinedFields` as every UDF defined for the entity (`{name, value}`). Filters
(`{"op", "field", "value", "udf", "items"}`): `eq`, `noteq`, `gt`, `gte`, `lt`, `lte`, `beginsWith`,
`endsWith`, `contains`, `exist`, `notExist`, `in`, `notIn`, and the groups `and`/`or` over `items`; a
top-level list is an `and`. Field names and operators match ignoring case, and so do strings (SQL
Server collation: a guess); `udf: true` looks the field up among the UDFs. Validation failures are
`AutotaskRefusal`s, answered HTTP 500 `{"errors": [...]}` as Autotask answers them. Guessed: the
required fields (`REQUIRED`; Autotask's own list is readable per database from
`entityInformation/fields`) and the error wording.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from shared.devtools.psa_fakes.values import looks_like_email, utc_now_iso
from shared.devtools.psa_fakes.wire import Refusal

__all__ = [
    "FIELDS",
    "REQUIRED",
    "AutotaskRefusal",
    "field_definitions",
    "filter_holds",
    "lowered",
    "new_record",
    "query_page",
    "refused",
    "render",
    "write",
]


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


AutotaskRefusal = Refusal  # answered `{"errors": [message, ...]}` with its status (500 for a refused item)

FIELDS: dict[str, tuple[str, ...]] = {
    "Contacts": _names(
        "id additionalAddressInformation addressLine addressLine1 alternatePhone apiVendorID bulkEmailOptOutTime "
        "city companyID companyLocationID countryID createDate emailAddress emailAddress2 emailAddress3 extension "
        "externalID facebookUrl faxNumber firstName impersonatorCreatorResourceID isActive isOptedOutFromBulkEmail "
        "lastActivityDate lastModifiedDate lastName linkedInUrl middleInitial mobilePhone namePrefix nameSuffix "
        "note receivesEmailNotifications phone primaryContact roomNumber solicitationOptOut solicitationOptOutTime "
        "state surveyOptOut title twitterUrl zipCode"
    ),
    "Companies": _names(
        "id additionalAddressInformation address1 address2 alternatePhone1 alternatePhone2 city companyName "
        "companyNumber companyType countryID createDate createdByResourceID fax isActive lastActivityDate "
        "lastTrackedModifiedDateTime ownerResourceID parentCompanyID phone postalCode state taxID webAddress"
    ),
}
REQUIRED = {"Contacts": ("companyID", "firstName", "lastName", "isActive"), "Companies": ("companyName", "companyType")}
_READ_ONLY = frozenset({"id", "createDate", "lastActivityDate", "lastModifiedDate", "lastTrackedModifiedDateTime"})
_TYPES = {"id": "long", "isActive": "integer", "companyID": "integer", "companyType": "integer"}
_EMAILS = ("emailAddress", "emailAddress2", "emailAddress3")


def refused(*messages: str) -> Refusal:
    """A refused item: HTTP 500 with `errors`, as Autotask answers a validation failure."""
    return AutotaskRefusal(500, "VALIDATION", messages[0], list(messages))


def field_definitions(entity: str) -> list[dict[str, Any]]:
    """`entityInformation/fields` for the entity."""
    return [
        {
            "name": name,
            "dataType": _TYPES.get(name, "boolean" if name.startswith("is") else "string"),
            "length": 0 if name in _TYPES else 100,
            "isRequired": name in REQUIRED[entity],
            "isReadOnly": name in _READ_ONLY,
            "isQueryable": True,
            "isReference": name.endswith("ID") and name != "externalID",
            "referenceEntityType": "Company" if name in ("companyID", "parentCompanyID") else "",
            "isPickList": name == "companyType",
            "picklistValues": [{"value": "1", "label": "Customer", "isDefaultValue": True, "isActive": True}]
            if name == "companyType"
            else None,
            "picklistParentValueField": "",
            "isSupportedWebhookField": name not in _READ_ONLY,
        }
        for name in FIELDS[entity]
    ]


def new_record(entity: str, record_id: int) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(FIELDS[entity])
    record.update(id=record_id, createDate=utc_now_iso(), userDefinedFields={})
    return record


def write(
    entity: str, record: dict[str, Any], body: Mapping[str, Any], udfs: Mapping[str, Any], *, replace: bool
) -> dict[str, Any]:
    """The record after a write (the record itself is left untouched): the fields sent (matched ignoring
    case) change; `replace` (PUT) nulls every writable field not sent, UDFs too."""
    names = {name.lower(): name for name in FIELDS[entity]}
    updated = copy.deepcopy(record)
    if replace:
        updated.update({name: None for name in FIELDS[entity] if name not in _READ_ONLY})
        updated["userDefinedFields"] = {}
    for key, value in body.items():
        name = names.get(key.lower())
        if key.lower() == "userdefinedfields":
            updated["userDefinedFields"].update(_udf_values(value, udfs, entity))
        elif name is None:
            raise refused(f"Unknown field: {key}")
        elif name not in _READ_ONLY:
            updated[name] = copy.deepcopy(value)
    missing = [name for name in REQUIRED[entity] if updated.get(name) in (None, "")]
    if missing:
        raise refused(*(f"Missing Required Field: {name}" for name in missing))
    if entity == "Contacts":
        if updated["isActive"] not in (0, 1):
            raise refused(f"isActive must be 0 or 1, not {updated['isActive']!r}")
        for name in _EMAILS:
            if updated[name] and not looks_like_email(str(updated[name])):
                raise refused(f"{name}: {updated[name]!r} is not a valid email address")
        updated["lastModifiedDate"] = utc_now_iso()
    else:
        updated["lastTrackedModifiedDateTime"] = utc_now_iso()
    return updated


def _udf_values(items: Any, udfs: Mapping[str, Any], entity: str) -> dict[str, Any]:
    defined = {name.lower(): name for name, owner in udfs.items() if owner == entity}
    values = {}
    for item in items or []:
        name = defined.get(str(item.get("name") if isinstance(item, Mapping) else "").lower())
        if name is None:
            raise refused(f"User-defined field {item!r} does not exist for {entity}")
        values[name] = item.get("value")
    return values


def render(entity: str, record: Mapping[str, Any], udfs: Mapping[str, Any]) -> dict[str, Any]:
    rendered = {name: copy.deepcopy(record.get(name)) for name in FIELDS[entity]}
    values = record.get("userDefinedFields") or {}
    names = sorted(name for name, owner in udfs.items() if owner == entity)
    rendered["userDefinedFields"] = [{"name": name, "value": values.get(name)} for name in names]
    return rendered


# --- queries ----------------------------------------------------------------------------------


def lowered(search: Any) -> dict[str, Any]:
    """A query body's keys lower-cased (`MaxRecords`, `maxRecords` and `maxrecords` alike)."""
    return {str(k).lower(): v for k, v in search.items()} if isinstance(search, dict) else {}


def query_page(rows: list[dict[str, Any]], search: Any, after: int, url: str) -> dict[str, Any]:
    """The answer to a query: the `MaxRecords` matching `rows` (in id order) from id `after` on, kept to
    `IncludeFields` (and `id`), and the `pageDetails`, whose page URLs are `url?paging=...&search=...`."""
    query = lowered(search)
    size = query.get("maxrecords", 500)
    if not isinstance(size, int) or not 1 <= size <= 500:
        raise refused("MaxRecords must be between 1 and 500")
    before, rest = [r for r in rows if r["id"] < after], [r for r in rows if r["id"] >= after]
    chosen = rest[:size]
    include = {str(name).lower() for name in query.get("includefields") or []}
    items = [{k: v for k, v in r.items() if k == "id" or k.lower() in include} for r in chosen] if include else chosen
    firsts = {"prevPageUrl": before[-size]["id"] if before else None}
    firsts["nextPageUrl"] = rest[size]["id"] if len(rest) > size else None
    links = {}
    for name, first in firsts.items():
        paging = {"pageSize": size, "previousIds": [r["id"] for r in chosen[:1]], "nextIds": [first]}
        links[name] = (
            None if first is None else f"{url}?{urlencode({'paging': _compact(paging), 'search': _compact(search)})}"
        )
    return {"items": items, "pageDetails": {"count": len(items), "requestCount": size, **links}}


def filter_holds(item: Any, record: Mapping[str, Any]) -> bool:
    """Whether a rendered record passes one filter item (a refusal for an unknown field or operator)."""
    if not isinstance(item, Mapping):
        raise refused("a filter item must be an object")
    op = str(item.get("op", "")).lower()
    if op in ("and", "or"):
        parts = [filter_holds(part, record) for part in item.get("items") or []]
        return all(parts) if op == "and" else any(parts)
    actual = _field(record, str(item.get("field", "")), bool(item.get("udf")))
    wanted = item.get("value")
    if op in ("exist", "notexist"):
        return (actual not in (None, "")) is (op == "exist")
    if op in ("in", "notin"):
        if not isinstance(wanted, list):
            raise refused(f"{item.get('op')} takes a list of values")
        inside = any(_equal(actual, value) for value in wanted)
        return inside if op == "in" else not inside
    if op in ("eq", "noteq"):
        return _equal(actual, wanted) is (op == "eq")
    text, target = str(actual or "").lower(), str(wanted or "").lower()
    if op in ("beginswith", "endswith", "contains"):
        found = {"beginswith": text.startswith, "endswith": text.endswith}.get(op, text.__contains__)(target)
        return actual is not None and found
    if op in ("gt", "gte", "lt", "lte"):
        return _ordered(op, actual, wanted)
    raise refused(f"Invalid filter operator: {item.get('op')}")


def _field(record: Mapping[str, Any], field: str, udf: bool) -> Any:
    if udf:
        values = {u["name"].lower(): u["value"] for u in record.get("userDefinedFields") or []}
        if field.lower() not in values:
            raise refused(f"Unable to find user-defined field {field}")
        return values[field.lower()]
    for name, value in record.items():
        if name.lower() == field.lower() and name != "userDefinedFields":
            return value
    raise refused(f"Unable to find {field} in the entity")


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return str(actual).lower() == str(wanted).lower()
    if isinstance(actual, int) and isinstance(wanted, str) and re.fullmatch(r"-?\d+", wanted):
        return actual == int(wanted)
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.lower() == wanted.lower()
    return bool(actual == wanted)


def _ordered(op: str, actual: Any, wanted: Any) -> bool:
    if actual is None or wanted is None:
        return False
    if isinstance(actual, int | float) and isinstance(wanted, str):
        try:
            wanted = float(wanted)
        except ValueError:
            return False
    try:
        return bool(
            {"gt": actual > wanted, "gte": actual >= wanted, "lt": actual < wanted, "lte": actual <= wanted}[op]
        )
    except TypeError:
        return False


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
