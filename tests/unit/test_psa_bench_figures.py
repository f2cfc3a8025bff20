"""The PSA bench's figures from a fake's request log: kinds of request, the rate against the vendor's
limit, contacts lost and duplicated."""

from __future__ import annotations

from shared.devtools.psa_bench_figures import UserContact, VendorLimit, integrity, rate_figures, request_kinds
from shared.devtools.psa_fakes import RequestRecord
from shared.devtools.psa_load import Held
from shared.models import Outcome, PsaContact


def record(method: str, path: str, at: float = 0.0, status: int = 200) -> RequestRecord:
    return RequestRecord(method, path, {}, status, at)


def test_requests_are_told_apart_by_what_they_did_whatever_the_vendor_calls_its_clients() -> None:
    records = [
        record("GET", "/api/v1/contacts"),
        record("GET", "/api/v1/contacts/7"),
        record("POST", "/api/v1/contacts"),
        record("PUT", "/api/v1/contacts/7"),
        record("GET", "/api/v1/customers"),
        record("PUT", "/api/v1/customers/3"),
        record("GET", "/api/v1/clients/9b1d"),
        record("GET", "/api/v1/clients/9b1d/contacts"),
        record("GET", "/api/v1/contacts/search"),
    ]

    kinds = request_kinds(records, "/api/v1")

    assert kinds == {
        "contact list": 2,  # one of them a client's contacts
        "contact read": 2,  # one of them /contacts/search: a read of one path
        "contact create": 1,
        "contact write": 1,
        "client list": 1,
        "client write": 1,
        "client read": 1,
    }


def test_a_sliding_window_vendor_s_rate_is_measured_over_the_whole_span() -> None:
    # 181 requests a third of a second apart: 180 a minute, the whole of Syncro's limit.
    records = [record("GET", "/contacts", at=i / 3) for i in range(181)]

    figures = rate_figures(records, VendorLimit(per_minute=180))

    assert figures["steady_per_minute"] == 180.0 and figures["share_of_limit"] == 1.0
    assert figures["span_seconds"] == 60.0 and figures["long_enough"] and figures["busiest_minute"] == 180
    assert figures["throttled"] == 0


def test_a_bucket_vendor_s_burst_is_left_out_of_the_steady_rate() -> None:
    burst = [record("GET", "/contacts", at=0.01 * i) for i in range(120)]
    steady = [record("GET", "/contacts", at=2 + i * 2) for i in range(61)]  # 30 a minute after the burst

    figures = rate_figures(burst + steady, VendorLimit(per_minute=60, burst=120))

    assert figures["burst_requests"] == 120
    assert (figures["steady_per_minute"], figures["share_of_limit"]) == (30.0, 0.5)


def test_requests_all_within_the_burst_have_no_rate_to_speak_of() -> None:
    figures = rate_figures([record("GET", "/contacts", at=i) for i in range(20)], VendorLimit(60, burst=120))

    assert figures["share_of_limit"] is None and figures["steady_per_minute"] is None


def test_throttled_answers_are_counted_with_their_share() -> None:
    records = [record("GET", "/contacts", at=i, status=429 if i % 10 == 0 else 200) for i in range(100)]

    figures = rate_figures(records, VendorLimit(per_minute=180))

    assert figures["throttled"] == 10 and figures["throttled_share"] == 0.1


def contact(contact_id: str, client: str, email: str) -> PsaContact:
    return PsaContact(id=contact_id, client_id=client, email=email)


def test_a_user_whose_contact_is_missing_or_in_another_client_is_lost_and_shared_addresses_are_duplicates() -> None:
    held = Held(
        clients=[],
        contacts=[
            contact("1", "c-a", "ann@a.example"),
            contact("2", "c-a", "Ann@A.example"),  # the same address twice in one client
            contact("3", "c-b", "bob@b.example"),
            contact("4", "c-b", "cy@b.example"),
        ],
    )
    users = [
        UserContact("ann", Outcome.CREATED, "1", "c-a"),
        UserContact("bob", Outcome.LINKED, "3", "c-a"),  # held, but in another client
        UserContact("cy", Outcome.UNCHANGED, "9", "c-b"),  # not held at all
        UserContact("dee", Outcome.UPDATED, "4", "c-b"),
        UserContact("eve", Outcome.UPDATED, "4", "c-b"),  # a second user on the same contact
        UserContact("fay", Outcome.FAILED, None, "c-b"),  # no contact expected
    ]

    found = integrity(users, held)

    assert (found["lost"], found["duplicated"], found["contacts"]) == (2, 2, 4)
    assert found["lost_users"] == ["bob", "cy"]
