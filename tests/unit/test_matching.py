"""Tenant -> client suggestions (SYNC_RULES R1.4-R1.7)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models.entra import Tenant
from shared.models.mapping import Candidate, Mapping, MappingStatus, MatchReason
from shared.models.psa import PsaClient
from shared.sync.domains import client_primary_domains, tenant_domains
from shared.sync.matching import (
    MAX_CANDIDATES,
    SECONDARY_DOMAIN_SCORE,
    conflicts,
    name_similarity,
    normalise_name,
    suggest,
    suggest_all,
)

AUTO, REVIEW, UNMATCHED = MappingStatus.AUTO_MATCHED, MappingStatus.NEEDS_REVIEW, MappingStatus.UNMATCHED


def tenant(name: str, *domains: str, tenant_id: str = "t1") -> Tenant:
    return Tenant(tenant_id=tenant_id, display_name=name, domains=list(domains))


def client(client_id: str, name: str, website: str | None = None, **fields: object) -> PsaClient:
    return PsaClient.model_validate({"id": client_id, "name": name, "website": website, **fields})


# --- the team's acceptance example: the northwind scenario ------------------------------------------

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
PIONEER = "7893f28e-f7e8-508b-beeb-55b763029caf"
HARBOR = "fdd5157a-662f-5456-b42f-4ae5fc274985"

NORTHWIND_TENANTS = [
    Tenant(
        tenant_id=GREENLEAF,
        display_name="GreenLeaf Dental Group",
        domains=["greenleafdental.example", "greenleafdental.onmicrosoft.com"],
    ),
    Tenant(
        tenant_id=NORTHSTAR,
        display_name="Northstar Accounting",
        domains=["northstaraccounting.example"],
        initial_domain="northstaracct.onmicrosoft.com",
    ),
    Tenant(
        tenant_id=PIONEER,
        display_name="Pioneer Legal Services",
        domains=["pioneerlegal.example"],
        initial_domain="pioneerlegal.onmicrosoft.com",
    ),
    Tenant(
        tenant_id=HARBOR,
        display_name="Harbor Clinic",
        domains=["harborclinic.example"],
        initial_domain="harborclinic.onmicrosoft.com",
    ),
]

NORTHWIND_CLIENTS = [
    client(
        "c-greenleaf",
        "GreenLeaf Dental Group",
        "https://www.greenleafdental.example/",
        billing_email="billing@greenleafdental.example",
    ),
    client(
        "c-northstar",
        "Northstar Accounting",
        "northstaraccounting.example",
        billing_email="ap@northstaraccounting.example",
    ),
    client(
        "c-pioneer",
        "Pioneer Law Group",
        "https://pioneerlawgroup.example",
        billing_email="accounts@pioneerlegal.example",
    ),
    client(
        "c-bluebird",
        "Bluebird Bakery",
        "bluebirdbakery.example",
        billing_email="owner@bluebirdbakery.example",
    ),
]


def test_r1_acceptance_northwind_scenario() -> None:
    result = suggest_all(NORTHWIND_TENANTS, NORTHWIND_CLIENTS)

    assert list(result) == [GREENLEAF, NORTHSTAR, PIONEER, HARBOR]

    greenleaf = result[GREENLEAF]
    assert greenleaf.status is AUTO
    assert greenleaf.auto_client_id == "c-greenleaf"
    assert greenleaf.candidates == [
        Candidate(
            client_id="c-greenleaf",
            score=1.0,
            reason=MatchReason.DOMAIN,
            detail="domain greenleafdental.example",
        )
    ]
    assert greenleaf.tenant_domains == ["greenleafdental.example"]

    northstar = result[NORTHSTAR]
    assert northstar.status is AUTO
    assert [(c.client_id, c.score, c.reason) for c in northstar.candidates] == [
        ("c-northstar", 1.0, MatchReason.DOMAIN)
    ]

    pioneer = result[PIONEER]
    assert pioneer.status is REVIEW
    assert pioneer.auto_client_id is None
    [candidate] = pioneer.candidates
    assert candidate.client_id == "c-pioneer"
    assert candidate.score == SECONDARY_DOMAIN_SCORE
    assert candidate.reason is MatchReason.SECONDARY_DOMAIN
    assert "pioneerlegal.example" in candidate.detail
    assert "'pioneer legal services' / 'pioneer law' 0.45" in candidate.detail

    harbor = result[HARBOR]
    assert harbor.status is UNMATCHED
    assert harbor.candidates == []

    matched = {c.client_id for s in result.values() for c in s.candidates}
    assert "c-bluebird" not in matched


def test_r1_5_northwind_name_scores() -> None:
    assert name_similarity("GreenLeaf Dental Group", "GreenLeaf Dental Group") == 1.0
    assert name_similarity("Pioneer Legal Services", "Pioneer Law Group") == pytest.approx(0.45)
    assert name_similarity("Harbor Clinic", "Bluebird Bakery") == 0.0


# --- R1.4 primary domains ----------------------------------------------------------------------------


def test_r1_4_one_client_sharing_a_primary_domain_is_auto_matched() -> None:
    result = suggest(tenant("Contoso", "contoso.example"), [client("c1", "Something Else", "https://contoso.example")])
    assert result.status is AUTO
    assert result.candidates == [
        Candidate(client_id="c1", score=1.0, reason=MatchReason.DOMAIN, detail="domain contoso.example")
    ]


def test_r1_4_every_tenant_domain_is_compared_not_only_the_first() -> None:
    t = tenant("Contoso", "contoso.example", "contoso-old.example", "contoso.co.uk")
    result = suggest(t, [client("c1", "Other", "www.contoso.co.uk")])
    assert result.status is AUTO
    assert result.candidates[0].detail == "domain contoso.co.uk"


def test_r1_4_domains_the_psa_records_count_as_primary() -> None:
    result = suggest(
        tenant("Contoso", "contoso.example"),
        [client("c1", "Other", domains=["fabrikam.example", "contoso.example"])],
    )
    assert result.status is AUTO
    assert result.auto_client_id == "c1"


def test_r1_4_several_clients_sharing_a_primary_domain_need_review_all_listed() -> None:
    clients = [
        client("c2", "Contoso East", "contoso.example"),
        client("c1", "Contoso West", "https://www.contoso.example/"),
        client("c3", "Fabrikam", "fabrikam.example"),
    ]
    result = suggest(tenant("Zeta", "contoso.example"), clients)
    assert result.status is REVIEW
    assert [(c.client_id, c.score, c.reason) for c in result.candidates] == [
        ("c1", 1.0, MatchReason.DOMAIN),
        ("c2", 1.0, MatchReason.DOMAIN),
    ]


def test_r1_4_initial_domains_never_match() -> None:
    t = Tenant(tenant_id="t1", display_name="Zeta", domains=["contoso.onmicrosoft.com"])
    clients = [client("c1", "Other", "contoso.onmicrosoft.com", billing_email="a@contoso.mail.onmicrosoft.com")]
    assert suggest(t, clients).status is UNMATCHED


def test_r1_4_auto_match_lists_other_candidates_after_the_domain_match() -> None:
    clients = [
        client("a-dup", "Contoso Ltd", "contoso-old.example"),
        client("z-real", "Contoso (new)", "contoso.example"),
    ]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is AUTO
    assert [(c.client_id, c.reason) for c in result.candidates] == [
        ("z-real", MatchReason.DOMAIN),
        ("a-dup", MatchReason.NAME),
    ]
    assert result.candidates[1].score == 1.0
    assert result.auto_client_id == "z-real"


# --- R1.5 secondary domains and names ----------------------------------------------------------------


def test_r1_5_billing_email_domain_needs_review() -> None:
    clients = [client("c1", "Unrelated Name", "other.example", billing_email="ap@contoso.example")]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is REVIEW
    [candidate] = result.candidates
    assert (candidate.score, candidate.reason) == (0.9, MatchReason.SECONDARY_DOMAIN)
    assert "contoso.example" in candidate.detail


def test_r1_5_main_email_domain_needs_review() -> None:
    clients = [client("c1", "Unrelated Name", main_email="office@contoso.example")]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is REVIEW
    assert result.candidates[0].reason is MatchReason.SECONDARY_DOMAIN


def test_r1_5_free_mail_billing_domain_matches_no_tenant() -> None:
    clients = [client("c1", "Bakery", billing_email="owner@gmail.com", main_email="shop@outlook.com")]
    t = Tenant(tenant_id="t1", display_name="Zeta", domains=["gmail.com", "outlook.com"])
    assert suggest(t, clients).status is UNMATCHED


def test_r1_5_identical_names_score_one_but_only_need_review() -> None:
    result = suggest(tenant("Contoso Ltd.", "contoso.example"), [client("c1", "CONTOSO, Inc.", "other.example")])
    assert result.status is REVIEW
    [candidate] = result.candidates
    assert (candidate.client_id, candidate.score, candidate.reason) == ("c1", 1.0, MatchReason.NAME)
    assert "'contoso' / 'contoso'" in candidate.detail


def test_r1_5_name_and_secondary_domain_never_auto_match() -> None:
    clients = [client("c1", "Contoso", billing_email="ap@contoso.example")]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is REVIEW
    assert result.auto_client_id is None
    assert result.candidates[0].reason is MatchReason.NAME  # 1.0 beats the secondary domain's 0.9
    assert "e-mail domain contoso.example" in result.candidates[0].detail


def test_r1_5_similar_name_at_or_above_threshold_needs_review() -> None:
    result = suggest(tenant("Northstar Accounting"), [client("c1", "Northwind Accounting")])
    assert result.status is REVIEW
    assert result.candidates[0].reason is MatchReason.NAME
    assert 0.6 <= result.candidates[0].score < 1.0


def test_r1_5_threshold_is_a_parameter() -> None:
    tenants, clients = tenant("Northstar Accounting"), [client("c1", "Northwind Accounting")]
    score = name_similarity("Northstar Accounting", "Northwind Accounting")
    assert suggest(tenants, clients, name_threshold=score).status is REVIEW
    assert suggest(tenants, clients, name_threshold=min(1.0, score + 0.01)).status is UNMATCHED


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_r1_5_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match="name_threshold"):
        suggest(tenant("A"), [], name_threshold=threshold)


def test_r1_5_dissimilar_name_is_not_a_candidate() -> None:
    assert suggest(tenant("Harbor Clinic"), [client("c1", "Bluebird Bakery")]).status is UNMATCHED


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Pioneer Law Group", "pioneer law"),
        ("GreenLeaf Dental Group, LLC", "greenleaf dental"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Café Crème S.A.R.L.", "cafe creme"),
        ("Smith & Jones Pty Ltd", "smith jones"),
        ("Smith and Jones Limited", "smith jones"),
        ("O'Brien Holdings plc", "obrien"),
        ("The Harbor Clinic", "harbor clinic"),
        ("Group Health Cooperative", "group health cooperative"),
        ("Cobalt Corp.", "cobalt"),
        ("Acme Ltd Partners", "acme ltd partners"),
        ("Group", "group"),
        ("", ""),
    ],
)
def test_r1_5_names_lose_case_punctuation_accents_and_trailing_legal_suffixes(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Smith & Jones Inc", "smith and jones"),
        ("Green Leaf Dental", "GreenLeaf Dental LLC"),
        ("Dental GreenLeaf", "GreenLeaf Dental"),
        ("Müller AG", "Muller"),
    ],
)
def test_r1_5_equivalent_names_score_one(a: str, b: str) -> None:
    assert name_similarity(a, b) == 1.0


def test_r1_5_a_name_that_is_only_suffixes_or_blank_scores_zero_against_others() -> None:
    assert name_similarity("", "Contoso") == 0.0
    assert name_similarity("Contoso", "   ") == 0.0


def test_r1_5_a_client_matched_by_domain_is_listed_once_at_its_best() -> None:
    clients = [client("c1", "Contoso", "contoso.example", domains=["contoso.example"], billing_email="a@c2.example")]
    result = suggest(tenant("Contoso", "contoso.example", "c2.example"), clients)
    assert [(c.client_id, c.reason) for c in result.candidates] == [("c1", MatchReason.DOMAIN)]
    assert result.candidates[0].detail == "domain contoso.example"


def test_r1_5_at_most_five_candidates_best_first_ties_by_client_id() -> None:
    clients = [client(f"c{i}", "Contoso") for i in (7, 3, 9, 1, 5, 2)]
    clients += [
        client("b-partial", "Contoso Dental"),
        client("z-domain", "Other", billing_email="x@contoso.example"),
    ]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is REVIEW
    assert [c.client_id for c in result.candidates] == ["c1", "c2", "c3", "c5", "c7"]
    assert all(c.score == 1.0 for c in result.candidates)


def test_r1_5_candidates_are_ordered_by_score() -> None:
    clients = [
        client("a", "Northwind Accounting"),
        client("b", "Other", billing_email="x@northstar.example"),
        client("c", "Northstar Accounting"),
    ]
    result = suggest(tenant("Northstar Accounting", "northstar.example"), clients)
    assert [(c.client_id, c.reason) for c in result.candidates] == [
        ("c", MatchReason.NAME),
        ("b", MatchReason.SECONDARY_DOMAIN),
        ("a", MatchReason.NAME),
    ]


def test_inactive_clients_are_not_candidates() -> None:
    clients = [
        client("c1", "Contoso", "contoso.example", active=False),
        client("c2", "Contoso", billing_email="a@contoso.example", active=False),
    ]
    assert suggest(tenant("Contoso", "contoso.example"), clients).status is UNMATCHED


def test_an_inactive_duplicate_does_not_stop_an_auto_match() -> None:
    clients = [
        client("old", "Contoso", "contoso.example", active=False),
        client("new", "Contoso", "contoso.example"),
    ]
    result = suggest(tenant("Contoso", "contoso.example"), clients)
    assert result.status is AUTO
    assert result.auto_client_id == "new"


def test_suggestions_do_not_depend_on_client_order() -> None:
    clients = [
        *NORTHWIND_CLIENTS,
        client("c-contoso", "Pioneer Legal", billing_email="a@pioneerlegal.example"),
    ]
    forward = suggest_all(NORTHWIND_TENANTS, clients)
    backward = suggest_all(NORTHWIND_TENANTS, list(reversed(clients)))
    assert forward == backward


# --- R1.6 nothing ------------------------------------------------------------------------------------


def test_r1_6_nothing_in_common_is_unmatched_without_candidates() -> None:
    result = suggest(tenant("Harbor Clinic", "harborclinic.example"), NORTHWIND_CLIENTS)
    assert (result.status, result.candidates) == (UNMATCHED, [])


def test_r1_6_no_clients_is_unmatched() -> None:
    assert suggest(tenant("Harbor Clinic", "harborclinic.example"), []).status is UNMATCHED


# --- R1.7 one client per tenant ----------------------------------------------------------------------


def _mapping(tenant_id: str, status: MappingStatus, client_id: str | None = None) -> Mapping:
    return Mapping(tenant_id=tenant_id, status=status, client_id=client_id)


def test_r1_7_a_client_confirmed_for_another_tenant_is_a_conflict() -> None:
    mappings = [_mapping("t1", MappingStatus.CONFIRMED, "c1"), _mapping("t2", MappingStatus.NEEDS_REVIEW)]
    message = conflicts(mappings, "t2", "c1")
    assert message is not None
    assert "c1" in message and "t1" in message and "t2" in message


def test_r1_7_confirming_the_same_pair_again_is_not_a_conflict() -> None:
    assert conflicts([_mapping("t1", MappingStatus.CONFIRMED, "c1")], "t1", "c1") is None


def test_r1_7_only_confirmed_mappings_hold_a_client() -> None:
    mappings = [
        _mapping("t1", MappingStatus.AUTO_MATCHED, "c1"),
        _mapping("t3", MappingStatus.SKIPPED, "c1"),
        _mapping("t4", MappingStatus.CONFIRMED, "c9"),
    ]
    assert conflicts(mappings, "t2", "c1") is None


def test_r1_7_no_mappings_no_conflict() -> None:
    assert conflicts([], "t1", "c1") is None


# --- properties --------------------------------------------------------------------------------------

_DOMAINS = ["a.example", "b.example", "c.example", "gmail.com", "x.onmicrosoft.com"]
_NAMES = ["Contoso", "Contoso Ltd", "Fabrikam", "Fabrikam Group", "Northwind Traders", "Northstar", ""]
_domain_value = st.sampled_from(_DOMAINS).flatmap(
    lambda d: st.sampled_from([d, f"https://www.{d}/", f"{d.upper()}.", f"ap@{d}"])
)
_clients = st.lists(
    st.builds(
        PsaClient,
        id=st.sampled_from([f"c{i}" for i in range(10)]),
        name=st.sampled_from(_NAMES),
        website=st.none() | _domain_value,
        billing_email=st.none() | st.sampled_from(_DOMAINS).map(lambda d: f"ap@{d}"),
        main_email=st.none() | st.sampled_from(_DOMAINS).map(lambda d: f"hi@{d}"),
        domains=st.lists(_domain_value, max_size=2),
        active=st.booleans(),
    ),
    max_size=12,
)
_tenants = st.builds(
    Tenant,
    tenant_id=st.just("t"),
    display_name=st.sampled_from(_NAMES),
    domains=st.lists(st.sampled_from(_DOMAINS), max_size=3),
)


@settings(max_examples=200)
@given(t=_tenants, clients=_clients, data=st.data())
def test_property_suggest_is_deterministic_whatever_the_client_order(
    t: Tenant, clients: list[PsaClient], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(clients))
    assert suggest(t, shuffled) == suggest(t, clients)


@settings(max_examples=200)
@given(t=_tenants, clients=_clients)
def test_property_auto_match_only_from_exactly_one_primary_domain_match(t: Tenant, clients: list[PsaClient]) -> None:
    result = suggest(t, clients)
    sharing = {c.id for c in clients if c.active and set(client_primary_domains(c)) & set(tenant_domains(t))}
    if result.status is AUTO:
        assert len(sharing) == 1
        assert result.candidates[0].client_id in sharing
        assert result.candidates[0].reason is MatchReason.DOMAIN
    else:
        assert len(sharing) != 1
    if not sharing:
        assert all(c.reason is not MatchReason.DOMAIN for c in result.candidates)


@settings(max_examples=200)
@given(t=_tenants, clients=_clients, threshold=st.floats(0.05, 1.0))
def test_property_at_most_five_unique_active_candidates_best_first(
    t: Tenant, clients: list[PsaClient], threshold: float
) -> None:
    result = suggest(t, clients, name_threshold=threshold)
    ids = [c.client_id for c in result.candidates]
    active = {c.id for c in clients if c.active}
    assert len(ids) <= MAX_CANDIDATES
    assert len(ids) == len(set(ids))
    assert set(ids) <= active
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < s <= 1.0 for s in scores)
    assert (result.status is UNMATCHED) == (not result.candidates)
