"""Which users the sync considers (R2.2-R2.4): each check says why a user is ignored, or None.

Pure. A linked user who is disabled is never "ignored" here: R5.1 (inactivate) applies to them even
when they also left the filters, because offboarding usually strips the very things filters look at
(licences, groups) and a leaver's contact must not stay active for that reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from shared.models.entra import EntraUser
from shared.models.sync_settings import Filters, SyncSettings
from shared.sync.identity import email_identity, local_part
from shared.sync.patterns import compile_pattern

__all__ = ["excluded_by", "filter_miss", "ignore_reason", "out_of_scope"]

NON_PERSON_MAILBOX = "shared, room or equipment mailbox"


def excluded_by(user: EntraUser, patterns: Sequence[str]) -> str | None:
    """The first exclusion pattern found (searched, case-insensitive, by RE2: linear time) in the local
    part of the user's email identity or UPN (R2.3), or None. Patterns are expected to be anchored
    (`^svc[-_.]`). A pattern RE2 cannot run (stored before saves were checked) excludes everyone:
    the accounts it was meant to keep out must not become contacts while it is being fixed."""
    locals_ = [local_part(a.strip()) for a in (email_identity(user), user.user_principal_name) if a]
    for source in patterns:
        pattern = compile_pattern(source)
        if pattern.problem is not None or any(pattern.search(part) for part in locals_):
            return source
    return None


def _exclusion_reason(pattern: str) -> str:
    problem = compile_pattern(pattern).problem
    if problem is not None:
        return f"excluded: exclusion pattern {pattern} cannot be used ({problem}); fix the exclusion patterns"
    return f"excluded by pattern {pattern}"


def _folded(values: Iterable[str]) -> set[str]:
    return {v.strip().casefold() for v in values}


def _meets(value: str | None, allowed: list[str]) -> bool:
    return value is not None and value.strip().casefold() in _folded(allowed)


def filter_miss(user: EntraUser, filters: Filters, group_members: Mapping[str, Collection[str]]) -> str | None:
    """The first filter the user does not meet (R2.4), as a short phrase, or None.

    `user_types` unset means members only; `group_members` maps a group id to its transitive user ids.
    """
    user_type = user.user_type or "Member"
    if filters.user_types is None:
        if user.is_guest:
            return "guest user (guests are not included)"
    elif not _meets(user_type, filters.user_types):
        return "guest user (not in the user-type filter)" if user.is_guest else "outside filters: user type"
    if filters.domains is not None:
        identity = email_identity(user)
        domain = identity.rpartition("@")[2] if identity else None
        if not _meets(domain, filters.domains):
            return "outside filters: domain"
    if filters.departments is not None and not _meets(user.department, filters.departments):
        return "outside filters: department"
    if filters.office_locations is not None and not _meets(user.office_location, filters.office_locations):
        return "outside filters: office location"
    if filters.groups is not None and not any(user.id in group_members.get(g, ()) for g in filters.groups):
        return "outside filters: group"
    if filters.licensed is not None and bool(user.assigned_licenses) != filters.licensed:
        return "outside filters: not licensed" if filters.licensed else "outside filters: licensed"
    return None


def out_of_scope(
    user: EntraUser,
    settings: SyncSettings,
    *,
    group_members: Mapping[str, Collection[str]],
    non_person_ids: Collection[str],
) -> str | None:
    """Why the user is outside the sync whatever their state (R2.2-R2.4), or None.

    `non_person_ids` are users known to be shared, room or equipment mailboxes: Graph's v1.0 user
    object does not say so, so the caller passes what it knows (for example from Exchange).
    """
    if email_identity(user) is None:
        return "no email identity"
    if user.id in non_person_ids:
        return f"excluded: {NON_PERSON_MAILBOX}"
    pattern = excluded_by(user, settings.exclusion_patterns)
    if pattern is not None:
        return _exclusion_reason(pattern)
    return filter_miss(user, settings.filters, group_members)


def ignore_reason(
    user: EntraUser,
    settings: SyncSettings,
    *,
    linked: bool,
    group_members: Mapping[str, Collection[str]],
    non_person_ids: Collection[str],
) -> str | None:
    """Why the sync ignores this present (not deleted) user (R2.2, R5.4), or None.

    A linked, disabled user is not ignored: lifecycle (R5.1) decides for them.
    """
    if linked and not user.account_enabled:
        return None
    reason = out_of_scope(user, settings, group_members=group_members, non_person_ids=non_person_ids)
    if reason is not None:
        return reason
    if not user.account_enabled:
        return "disabled in Microsoft, never linked"
    return None
