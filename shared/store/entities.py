"""Models <-> Table entities: keys and sizes validated, the model kept as JSON beside a few query columns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient
from pydantic import BaseModel

from shared.errors import StorageError, ValidationFailed
from shared.models.keys import is_storage_key

__all__ = [
    "BATCH_LIMIT",
    "PROPERTY_LIMIT",
    "check_key",
    "check_value",
    "fits",
    "from_entity",
    "get_model",
    "query_models",
    "read_modify_write",
    "to_entity",
]

M = TypeVar("M", bound=BaseModel)

BATCH_LIMIT = 100  # operations in one entity group transaction (one partition)
PROPERTY_LIMIT = 64 * 1024  # bytes in one property value; strings count as UTF-16


def check_key(value: str, what: str = "key") -> str:
    """Table keys may not hold / \\ # ? or control characters, nor exceed 1 KiB (`is_storage_key`)."""
    if not is_storage_key(value):
        raise ValidationFailed(f"{what} {value!r} cannot be used as a storage key", field=what)
    return value


def to_entity(pk: str, rk: str, model: BaseModel, **columns: Any) -> dict[str, Any]:
    """The row of `model`: its JSON in the `json` column beside `columns`. A value Table Storage would
    refuse for its size raises ValidationFailed naming the model's field that makes it too large,
    before anything is written."""
    text = model.model_dump_json()
    if not fits(text):
        field = _largest_field(model)
        raise ValidationFailed(f"{field} is too large to store: {_too_large(text)}", field=field)
    for name, value in columns.items():
        check_value(name, value)
    return {"PartitionKey": check_key(pk), "RowKey": check_key(rk), "json": text, **columns}


def fits(value: str | bytes) -> bool:
    """Whether Table Storage holds `value` in one property: 64 KiB, strings counted as UTF-16."""
    if isinstance(value, bytes):
        return len(value) <= PROPERTY_LIMIT
    # A code point is at most 4 bytes in UTF-16: short strings need no encoding to tell.
    return len(value) <= PROPERTY_LIMIT // 4 or len(value.encode("utf-16-le")) <= PROPERTY_LIMIT


def check_value(name: str, value: Any) -> None:
    """Refuse a string or binary property over the limit, naming it."""
    if isinstance(value, str | bytes) and not fits(value):
        raise ValidationFailed(f"{name} is too large to store: {_too_large(value)}", field=name)


def _too_large(value: str | bytes) -> str:
    size = len(value) if isinstance(value, bytes) else len(value.encode("utf-16-le"))
    return f"{size:,} bytes where Table Storage holds at most {PROPERTY_LIMIT:,} in one value (about 32,000 characters)"


def _largest_field(model: BaseModel) -> str:
    """The wire path (`filters.departments`) of the part of `model` that takes the most room."""
    path: list[str] = []
    node: Any = model.model_dump(mode="json", by_alias=True)
    while isinstance(node, dict) and node:
        key, node = max(node.items(), key=lambda item: len(json.dumps(item[1])))
        path.append(str(key))
    return ".".join(path) or type(model).__name__


def from_entity(entity: Mapping[str, Any], model: type[M]) -> M:
    return model.model_validate_json(entity["json"])


async def get_model(table: TableClient, pk: str, rk: str, model: type[M]) -> M | None:
    try:
        entity = await table.get_entity(check_key(pk), check_key(rk))
    except ResourceNotFoundError:
        return None
    return from_entity(entity, model)


async def query_models(table: TableClient, model: type[M], query: str | None = None, **params: Any) -> list[M]:
    return [from_entity(e, model) async for e in _entities(table, query, params)]


async def _entities(table: TableClient, query: str | None, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    pages = (
        table.query_entities(query, parameters=params, select=["json"])
        if query
        else table.list_entities(select=["json"])
    )
    async for entity in pages:
        yield entity


async def read_modify_write(
    table: TableClient,
    pk: str,
    rk: str,
    model: type[M],
    change: Callable[[M | None], M | None],
    *,
    retries: int = 20,
    row: Callable[[M], dict[str, Any]] | None = None,
    known: Mapping[str, Any] | None = None,
) -> M | None:
    """Apply `change` to the stored model under its ETag (creating the row when there is none), reading
    again when someone else wrote in between; `change` returns None to leave the row as it is. Returns
    the model as stored. `row` builds the entity (default: the model's JSON under pk/rk). `known`: the
    entity as a read a moment ago returned it (with its ETag), so the first try writes under it
    instead of reading it again."""
    for attempt in range(retries):
        entity: Any
        if attempt == 0 and known is not None:
            entity = known
        else:
            try:
                entity = await table.get_entity(check_key(pk), check_key(rk))
            except ResourceNotFoundError:
                entity = None
        current = from_entity(entity, model) if entity is not None else None
        updated = change(current)
        if updated is None:
            return current
        stored = row(updated) if row is not None else to_entity(pk, rk, updated)
        try:
            if entity is None:
                await table.create_entity(stored)
            else:
                await table.update_entity(
                    stored,
                    mode=UpdateMode.REPLACE,
                    etag=entity.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            return updated
        except (ResourceModifiedError, ResourceExistsError):
            continue  # someone else wrote it first: read again
    raise StorageError(f"{table.table_name} {pk}/{rk} kept changing; gave up after {retries} tries")
