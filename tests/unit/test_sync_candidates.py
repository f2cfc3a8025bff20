"""Matching users without a link to contacts by address (R3.2-R3.4)."""

from __future__ import annotations

from shared.models import EntraUser, PsaContact
from shared.sync.candidates import Decision, Match, match_users


def user(user_id: str, mail: str, *aliases: str) -> EntraUser:
    return EntraUser(id=user_id, mail=mail, user_principal_name=mail, other_mails=list(aliases))


def contact(contact_id: str, email: str, *additional: str) -> PsaContact:
    return PsaContact(id=contact_id, client_id="c", email=email, additional_emails=list(additional))


def decide(users: list[EntraUser], contacts: list[PsaContact], taken: set[str] | None = None) -> dict[str, Match]:
    return match_users(users, contacts, taken or set())


def test_r3_2_alias_of_the_user_matches_the_contacts_primary_email() -> None:
    got = decide([user("u1", "ann@x.example", "Ann.Lee@Old.example")], [contact("k1", "ann.lee@old.example")])
    assert got["u1"] == Match(Decision.LINK, ("k1",), "matched an alias address")


def test_r3_2_primary_of_the_user_matches_an_additional_email_of_the_contact() -> None:
    got = decide([user("u1", "Ann@X.example")], [contact("k1", "billing@x.example", "ann@x.example")])
    assert got["u1"].decision is Decision.LINK and got["u1"].contact_ids == ("k1",)


def test_r3_2_proxy_smtp_addresses_match() -> None:
    ann = EntraUser(id="u1", mail="ann@x.example", proxy_addresses=["smtp:a.lee@x.example", "X500:a.lee@x.example"])
    assert decide([ann], [contact("k1", "A.Lee@x.example")])["u1"].decision is Decision.LINK


def test_r3_2_contacts_linked_to_another_user_are_not_candidates() -> None:
    got = decide([user("u1", "ann@x.example")], [contact("k1", "ann@x.example")], taken={"k1"})
    assert got["u1"] == Match(Decision.CREATE, (), "no matching contact")


def test_r3_3_one_candidate_links_none_creates_several_queue() -> None:
    contacts = [
        contact("k1", "ann@x.example"),
        contact("k2", "bob@x.example"),
        contact("k3", "x@x.example", "bob@x.example"),
    ]
    got = decide([user("u1", "ann@x.example"), user("u2", "bob@x.example"), user("u3", "cy@x.example")], contacts)
    assert got["u1"] == Match(Decision.LINK, ("k1",), "matched primary email")
    assert got["u2"] == Match(Decision.QUEUE, ("k2", "k3"), "2 candidate contacts")
    assert got["u3"].decision is Decision.CREATE


def test_r3_4_primary_match_beats_alias_match_and_the_other_user_is_created() -> None:
    shared = contact("k1", "ann@x.example")
    got = decide([user("u1", "ann.lee@x.example", "ann@x.example"), user("u2", "ann@x.example")], [shared])
    assert got["u2"].decision is Decision.LINK and got["u2"].contact_ids == ("k1",)
    assert got["u1"] == Match(Decision.CREATE, (), "no matching contact left (its matches were linked to other users)")


def test_r3_4_a_tie_queues_both_with_that_one_candidate() -> None:
    shared = contact("k1", "office@x.example", "ann@x.example", "bob@x.example")
    got = decide([user("u1", "ann@x.example"), user("u2", "bob@x.example")], [shared])
    assert got["u1"] == got["u2"] == Match(Decision.QUEUE, ("k1",), "tie with another user for the same contact")


def test_r3_4_two_primary_matches_tie_too() -> None:
    got = decide([user("u1", "ann@x.example"), user("u2", "ANN@x.example")], [contact("k1", "ann@x.example")])
    assert got["u1"].decision is got["u2"].decision is Decision.QUEUE


def test_r3_3_linking_one_user_can_leave_another_with_one_candidate() -> None:
    # u1 has only k1; u2 has k1 and k2. Once u1 holds k1, u2's one candidate is k2: linking it now gives
    # the answer the next run would give (R7.6) instead of queueing u2 today and linking it tomorrow.
    contacts = [contact("k1", "ann@x.example"), contact("k2", "office@x.example", "bob@x.example")]
    got = decide([user("u1", "ann@x.example"), user("u2", "bob@x.example", "ann@x.example")], contacts)
    assert got["u1"].contact_ids == ("k1",) and got["u1"].decision is Decision.LINK
    assert got["u2"].contact_ids == ("k2",) and got["u2"].decision is Decision.LINK


def test_r3_3_decisions_do_not_depend_on_input_order() -> None:
    users = [user("u2", "ann@x.example", "bob@x.example"), user("u1", "bob@x.example")]
    contacts = [contact("k2", "bob@x.example"), contact("k1", "ann@x.example")]
    assert decide(users, contacts) == decide(users[::-1], contacts[::-1])
