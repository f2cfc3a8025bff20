"""Whole users from delta objects: each object's properties over the user's snapshot (issue 7)."""

from __future__ import annotations

from shared.models import EntraUser
from shared.service.tenant_reads import latest_delta_url
from shared.sync.snapshot import UserSnapshot, bucket_of, buckets_for, merge_changes, snapshot_values

PRIYA = EntraUser.model_validate(
    {
        "id": "u-priya",
        "displayName": "Priya Patel",
        "givenName": "Priya",
        "surname": "Patel",
        "mail": "priya@example.com",
        "userPrincipalName": "priya@example.com",
        "accountEnabled": True,
        "jobTitle": "Hygienist",
        "mobilePhone": "+1 555 0100",
        "assignedLicenses": [{"skuId": "sku-1"}],
    }
)


def snapshot_of(*users: EntraUser) -> UserSnapshot:
    return UserSnapshot.of(users, stored={})


def test_a_partial_object_keeps_the_snapshot_values_it_does_not_carry() -> None:
    snapshot = snapshot_of(PRIYA)
    change = EntraUser.model_validate({"id": "u-priya", "jobTitle": "Lead Hygienist"})

    [merged] = merge_changes([change], snapshot)

    assert merged == PRIYA.model_copy(update={"job_title": "Lead Hygienist"})
    assert snapshot.get("u-priya") == snapshot_values(merged)


def test_a_property_sent_as_null_is_cleared() -> None:
    change = EntraUser.model_validate({"id": "u-priya", "mobilePhone": None, "assignedLicenses": None})

    [merged] = merge_changes([change], snapshot_of(PRIYA))

    assert merged.mobile_phone is None and merged.assigned_licenses == []
    assert merged.given_name == "Priya"


def test_r5_2_a_removed_user_keeps_their_last_values_and_the_snapshot_is_left_as_it_was() -> None:
    snapshot = snapshot_of(PRIYA)
    removed = EntraUser.model_validate({"id": "u-priya", "@removed": {"reason": "changed"}})

    [merged] = merge_changes([removed], snapshot)

    assert merged.removed is not None and merged.display_name == "Priya Patel"
    assert snapshot.get("u-priya") == snapshot_values(PRIYA)  # a restore later merges onto it


def test_a_user_without_a_snapshot_is_taken_as_sent_and_a_user_listed_twice_merges_in_order() -> None:
    snapshot = snapshot_of()
    first = EntraUser.model_validate({"id": "u-new", "displayName": "New Person", "jobTitle": "Clerk"})
    second = EntraUser.model_validate({"id": "u-new", "jobTitle": "Senior Clerk"})

    [merged] = merge_changes([first, second], snapshot)

    assert (merged.display_name, merged.job_title) == ("New Person", "Senior Clerk")
    assert len(snapshot) == 1


def test_a_restore_after_a_removal_in_the_same_window_is_present_again() -> None:
    removed = EntraUser.model_validate({"id": "u-priya", "@removed": {"reason": "changed"}})
    restored = EntraUser.model_validate({"id": "u-priya", "accountEnabled": True})

    [merged] = merge_changes([removed, restored], snapshot_of(PRIYA))

    assert merged.removed is None and merged.mail == "priya@example.com"


def test_snapshot_rows_are_rewritten_only_when_their_users_changed() -> None:
    users = [PRIYA.model_copy(update={"id": f"u-{n}"}) for n in range(900)]
    first = UserSnapshot.of(users, stored={})
    written = first.changed_rows()
    assert set(written) == set(range(buckets_for(900))) and first.buckets == 3
    stored = {bucket: digest for bucket, (digest, _) in written.items()}

    again = UserSnapshot.of(users, stored=stored, buckets=first.buckets)
    assert again.changed_rows() == {}

    moved = UserSnapshot.of(
        [*users[:-1], users[-1].model_copy(update={"job_title": "Dentist"})], stored=stored, buckets=3
    )
    assert set(moved.changed_rows()) == {bucket_of("u-899", 3)}


def test_the_latest_delta_url_asks_for_the_same_properties_from_now_on() -> None:
    url = latest_delta_url("https://graph.microsoft.com/v1.0/", ["id", "displayName"])
    assert url == "https://graph.microsoft.com/v1.0/users/delta?$select=id,displayName&$deltatoken=latest"
