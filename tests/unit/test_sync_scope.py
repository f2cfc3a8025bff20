"""Which users are considered (R2.2-R2.4) and which are ignored."""

from __future__ import annotations

import pytest

from shared.models import DEFAULT_EXCLUSION_PATTERNS, AssignedLicense, EntraUser, Filters, SyncSettings
from shared.sync.scope import excluded_by, filter_miss, ignore_reason, out_of_scope

DEFAULTS = list(DEFAULT_EXCLUSION_PATTERNS)


def person(local: str = "ann", **fields: object) -> EntraUser:
    return EntraUser.model_validate(
        {"id": "u1", "mail": f"{local}@x.example", "user_principal_name": f"{local}@x.example", **fields}
    )


def reason(user: EntraUser, settings: SyncSettings | None = None, *, linked: bool = False) -> str | None:
    return ignore_reason(user, settings or SyncSettings(), linked=linked, group_members={}, non_person_ids=())


@pytest.mark.parametrize(
    "local",
    [
        "svc-backup", "SVC.sql", "svc_x", "noreply", "no-reply", "NoReply", "donotreply", "do-not-reply",
        "automation-bot", "scanner.floor2", "sync_agent", "backup-nas",
    ],
)  # fmt: skip
def test_r2_3_default_patterns_exclude_service_accounts(local: str) -> None:
    assert excluded_by(person(local), DEFAULTS) is not None
    assert (reason(person(local)) or "").startswith("excluded by pattern ^")


@pytest.mark.parametrize(
    "local",
    [
        "abbott", "talbot", "sam.bottomley", "sa.jones", "svcarter", "noreply.team", "backupadmin",
        "synchronise", "automation", "jane.scanner",
    ],
)  # fmt: skip
def test_r2_3_default_patterns_keep_real_people(local: str) -> None:
    assert excluded_by(person(local), DEFAULTS) is None
    assert reason(person(local)) is None


def test_r2_3_patterns_check_the_upn_local_part_too() -> None:
    user = person("ann", user_principal_name="svc-ann@x.example")
    assert excluded_by(user, DEFAULTS) == r"^svc[-_.]"


def test_r2_3_patterns_are_configurable() -> None:
    settings = SyncSettings(exclusion_patterns=[r"^temp\."])
    assert reason(person("temp.ann"), settings) == r"excluded by pattern ^temp\."
    assert reason(person("svc-backup"), settings) is None  # the list replaces the defaults


def test_r2_3_known_shared_or_room_mailboxes_are_excluded() -> None:
    user = person("boardroom")
    assert reason(user) is None
    got = ignore_reason(user, SyncSettings(), linked=False, group_members={}, non_person_ids={"u1"})
    assert got == "excluded: shared, room or equipment mailbox"


def test_r2_2_no_email_identity_is_ignored() -> None:
    assert reason(EntraUser(id="u1", user_principal_name="ann@contoso.onmicrosoft.com")) == "no email identity"


def test_r2_2_guests_ignored_unless_the_filters_include_them() -> None:
    guest = person("rep", user_type="Guest")
    assert (reason(guest) or "").startswith("guest user")
    assert reason(guest, SyncSettings(filters=Filters(user_types=["Member", "guest"]))) is None
    assert (reason(guest, SyncSettings(filters=Filters(user_types=["Member"]))) or "").startswith("guest user")
    assert reason(person(), SyncSettings(filters=Filters(user_types=["Guest"]))) == "outside filters: user type"


def test_r2_2_disabled_and_never_linked_is_ignored() -> None:
    assert reason(person(account_enabled=False)) == "disabled in Microsoft, never linked"


def test_r5_1_a_linked_disabled_user_is_left_to_the_lifecycle_even_outside_the_filters() -> None:
    settings = SyncSettings(filters=Filters(licensed=True))
    assert reason(person(account_enabled=False), settings, linked=True) is None
    assert reason(person(account_enabled=True), settings, linked=True) == "outside filters: not licensed"


def miss(user: EntraUser, members: dict[str, set[str]] | None = None, **filters: object) -> str | None:
    return filter_miss(user, Filters.model_validate(filters), members or {})


def test_r2_4_domain_filter_uses_the_email_identity() -> None:
    assert miss(person(), domains=["X.example"]) is None
    assert miss(person(), domains=["y.example"]) == "outside filters: domain"


def test_r2_4_department_and_office_filters_ignore_case_and_blanks_fail() -> None:
    assert miss(person(department=" Sales "), departments=["sales"]) is None
    assert miss(person(department="Clinical"), departments=["Sales"]) == "outside filters: department"
    assert miss(person(), departments=["Sales"]) == "outside filters: department"
    assert miss(person(office_location="Leeds"), office_locations=["leeds"]) is None
    assert miss(person(office_location="York"), office_locations=["Leeds"]) == "outside filters: office location"


def test_r2_4_group_filter_takes_transitive_members() -> None:
    members = {"g-staff": {"u1", "u2"}, "g-other": {"u3"}}
    assert miss(person(), members, groups=["g-other", "g-staff"]) is None
    assert miss(person(), members, groups=["g-other"]) == "outside filters: group"
    assert miss(person(), {}, groups=["g-unknown"]) == "outside filters: group"


def test_r2_4_licensed_filter_both_ways() -> None:
    licensed = person(assigned_licenses=[AssignedLicense(sku_id="s")])
    assert miss(licensed, licensed=True) is None
    assert miss(person(), licensed=True) == "outside filters: not licensed"
    assert miss(person(), licensed=False) is None
    assert miss(licensed, licensed=False) == "outside filters: licensed"


def test_r2_4_all_is_no_filter_and_covers_later_values() -> None:
    assert miss(person(department="Brand New Team"), departments=["All"]) is None


def test_r2_4_every_set_filter_must_be_met() -> None:
    user = person(department="Sales", office_location="York")
    assert miss(user, departments=["Sales"], office_locations=["York"]) is None
    assert miss(user, departments=["Sales"], office_locations=["Leeds"]) == "outside filters: office location"


def test_r2_2_out_of_scope_order_identity_first() -> None:
    user = EntraUser(id="u1", user_principal_name="svc-x@t.onmicrosoft.com", user_type="Guest")
    assert out_of_scope(user, SyncSettings(), group_members={}, non_person_ids={"u1"}) == "no email identity"
