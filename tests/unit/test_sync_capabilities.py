"""The planner respects what the PSA can hold (R8.1, R8.2): a field the PSA cannot keep is never
written nor counted as an update, a one-field name is compared whole, additional emails take part in
matching only where the PSA keeps them, facts are compared on what the PSA keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models import Capabilities, EntraUser, MicrosoftFacts, Outcome
from shared.models.entra import AssignedLicense, SignInActivity
from shared.sync.facts import FactsInputs, MfaRegistration
from tests.unit.test_sync_planner import contact, link, of, plan, user

SYNCRO_LIKE = Capabilities(
    fields=frozenset({"first_name", "last_name", "email", "phone", "mobile", "title", "street", "city"}),
    single_name=True,
    additional_emails=False,
    contact_fact_fields=frozenset({"license", "mfa_registered", "mfa_methods", "last_sign_in"}),
)
PREMIUM = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"


def test_r8_1_a_field_the_psa_cannot_hold_is_not_written_nor_counted_as_an_update() -> None:
    ann = user("u1", "ann", given_name="ann", department="Sales", office_location="Leeds")
    stored = contact("k1", "ann")  # department and office read back blank

    got = of(plan([ann], [stored], [link("u1", "k1")], capabilities=SYNCRO_LIKE), "u1")

    assert got.outcome is Outcome.UNCHANGED and got.changes == {}
    everything = of(plan([ann], [stored], [link("u1", "k1")]), "u1")
    assert everything.outcome is Outcome.UPDATED and set(everything.changes) == {"department", "office_location"}


def test_r8_1_a_field_the_psa_holds_is_still_updated() -> None:
    ann = user("u1", "ann", given_name="ann", job_title="Buyer", department="Sales")

    got = of(plan([ann], [contact("k1", "ann")], [link("u1", "k1")], capabilities=SYNCRO_LIKE), "u1")

    assert got.outcome is Outcome.UPDATED and got.changes == {"title": "Buyer"}


def test_r8_1_a_one_field_name_split_differently_by_the_psa_is_unchanged() -> None:
    mary = user("u1", "mary", given_name="Mary Ann", surname="Smith")
    stored = contact("k1", "mary", first_name="Mary", last_name="Ann Smith")  # how the PSA splits "name"

    got = of(plan([mary], [stored], [link("u1", "k1")], capabilities=SYNCRO_LIKE), "u1")

    assert got.outcome is Outcome.UNCHANGED and got.changes == {}


def test_r8_1_a_changed_one_field_name_sends_both_halves() -> None:
    mary = user("u1", "mary", given_name="Mary", surname="Jones")
    stored = contact("k1", "mary", first_name="Mary", last_name="Smith")

    got = of(plan([mary], [stored], [link("u1", "k1")], capabilities=SYNCRO_LIKE), "u1")

    assert got.outcome is Outcome.UPDATED and got.changes == {"first_name": "Mary", "last_name": "Jones"}


def test_r8_2_additional_emails_match_where_the_psa_keeps_them() -> None:
    jordan = user("u1", "jordan")
    shared_box = contact("k1", "billing", additional_emails=["jordan@x.example"])

    assert of(plan([jordan], [shared_box]), "u1").outcome is Outcome.LINKED


def test_r8_1_additional_emails_the_psa_cannot_hold_are_not_used_for_matching() -> None:
    jordan = user("u1", "jordan")
    shared_box = contact("k1", "billing", additional_emails=["jordan@x.example"])

    got = of(plan([jordan], [shared_box], capabilities=SYNCRO_LIKE), "u1")

    assert got.outcome is Outcome.CREATED


def _facts_user() -> tuple[EntraUser, FactsInputs]:
    signed_in = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    ann = user(
        "u1",
        "ann",
        given_name="ann",
        assigned_licenses=[AssignedLicense(sku_id=PREMIUM)],
        sign_in_activity=SignInActivity(last_sign_in_date_time=signed_in),
    )
    inputs = FactsInputs(
        sku_part_numbers={PREMIUM: "SPB"},
        mfa={"u1": MfaRegistration(id="u1", is_mfa_registered=True, methods_registered=["microsoftAuthenticatorPush"])},
    )
    return ann, inputs


def test_r8_1_facts_are_compared_only_on_what_the_psa_keeps() -> None:
    ann, inputs = _facts_user()
    read_back = MicrosoftFacts(  # the licence list is not kept: it reads back empty
        license="Microsoft 365 Business Premium",
        mfa_registered=True,
        mfa_methods=["microsoftAuthenticatorPush"],
        last_sign_in=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
    )
    stored = contact("k1", "ann", microsoft=read_back)

    kept = of(plan([ann], [stored], [link("u1", "k1")], facts=inputs, capabilities=SYNCRO_LIKE), "u1")
    everything = of(plan([ann], [stored], [link("u1", "k1")], facts=inputs), "u1")

    assert kept.facts is None and kept.outcome is Outcome.UNCHANGED
    assert everything.facts is not None and everything.facts.licenses == ["SPB"]


def test_r8_1_no_facts_are_planned_for_a_psa_without_a_place_for_them() -> None:
    ann, inputs = _facts_user()
    nowhere = Capabilities(contact_facts=False, contact_fact_fields=frozenset())

    created = of(plan([ann], [], facts=inputs, capabilities=nowhere), "u1")

    assert created.outcome is Outcome.CREATED and created.facts is None
