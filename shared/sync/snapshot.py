"""The tenant's user snapshot: every user's last-seen values, so a delta object (which may carry only
some properties) makes a whole user. Pure: the cursor store reads and writes the rows it describes."""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from shared.models import EntraUser

__all__ = ["UserSnapshot", "bucket_of", "buckets_for", "delta_users", "merge_changes", "snapshot_values"]

_USERS_PER_BUCKET = 400  # about 40 KB compressed per row
_NOT_SNAPSHOT = {"sign_in_activity", "removed"}


def snapshot_values(user: EntraUser) -> dict[str, Any]:
    """A user's values as the snapshot keeps them: Graph's wire names, default values left out, no
    sign-in activity (delta passes never read it) and no `@removed`."""
    return user.model_dump(mode="json", by_alias=True, exclude=_NOT_SNAPSHOT, exclude_defaults=True)


class UserSnapshot:
    """Every user's last-seen values, bucketed by user id into a few rows of the tenant's partition.

    A delta object may carry only some properties; merged onto the user's snapshot it gives the whole
    user. Rows are written only when their content changed (a hash per row).
    """

    def __init__(
        self,
        buckets: int,
        rows: dict[int, dict[str, dict[str, Any]]] | None = None,
        stored: dict[int, str] | None = None,
    ) -> None:
        self.buckets = max(1, buckets)
        self._rows = rows or {}
        self._stored = stored or {}  # bucket -> hash of what the table holds
        self._touched: set[int] = set()

    @classmethod
    def of(cls, users: Iterable[EntraUser], stored: dict[int, str], buckets: int | None = None) -> UserSnapshot:
        """The snapshot of a full list of users; rows equal to what is `stored` are not rewritten."""
        listed = list(users)
        snapshot = cls(buckets or buckets_for(len(listed)), stored=stored)
        snapshot._touched = set(range(snapshot.buckets))
        for user in listed:
            snapshot.put(user)
        return snapshot

    def __len__(self) -> int:
        return sum(len(row) for row in self._rows.values())

    def get(self, user_id: str) -> dict[str, Any] | None:
        return self._rows.get(bucket_of(user_id, self.buckets), {}).get(user_id)

    def put(self, user: EntraUser) -> None:
        bucket = bucket_of(user.id, self.buckets)
        self._rows.setdefault(bucket, {})[user.id] = snapshot_values(user)
        self._touched.add(bucket)

    def changed_rows(self) -> dict[int, tuple[str, bytes]]:
        """Rows to write: bucket -> (hash, compressed JSON), for touched rows whose content changed."""
        out: dict[int, tuple[str, bytes]] = {}
        for bucket in sorted(self._touched):
            raw = json.dumps(self._rows.get(bucket, {}), sort_keys=True, separators=(",", ":")).encode()
            digest = hashlib.sha256(raw).hexdigest()[:32]
            if self._stored.get(bucket) != digest:
                out[bucket] = (digest, zlib.compress(raw, 6))
        return out


def buckets_for(users: int) -> int:
    return max(1, math.ceil(users / _USERS_PER_BUCKET))


def bucket_of(user_id: str, buckets: int) -> int:
    return zlib.crc32(user_id.encode()) % buckets


def merge_changes(changes: Sequence[EntraUser], snapshot: UserSnapshot) -> list[EntraUser]:
    """Whole users from a delta pass's objects, in the order Graph first listed them.

    A delta object may carry only some properties (Graph sends the changed ones at least, and leaves
    out properties never set). Each property it does carry, null included, replaces the user's value
    in the snapshot; the rest keep the snapshot's. A user without a snapshot (new to us) is taken as
    sent: Graph sends a new user's every property that has a value. A user listed twice merges twice,
    in order. `@removed` users keep their last values (for the report) and their removal. The snapshot
    is updated with every user still present, for the next pass.
    """
    merged: dict[str, EntraUser] = {}
    for change in changes:
        base = merged.get(change.id)
        if base is None:
            values = snapshot.get(change.id)
            base = EntraUser.model_validate(values) if values is not None else None
        if change.removed is not None:
            merged[change.id] = (base or change).model_copy(update={"removed": change.removed})
            continue
        if base is None:
            user = change
        else:
            present = {name: getattr(change, name) for name in change.model_fields_set}
            user = base.model_copy(update={**present, "removed": None})
        merged[change.id] = user
        snapshot.put(user)
    return list(merged.values())


def delta_users(changes: Sequence[EntraUser], snapshot: UserSnapshot, retry: Iterable[str]) -> list[EntraUser]:
    """The users a delta pass plans: the changes merged onto the snapshot (`merge_changes`), then each
    user in `retry` (refused by the PSA last time) that did not change but is still in the snapshot."""
    users = merge_changes(changes, snapshot)
    changed = {user.id for user in users}
    for user_id in retry:
        values = snapshot.get(user_id)
        if user_id not in changed and values is not None:
            users.append(EntraUser.model_validate(values))
    return users
