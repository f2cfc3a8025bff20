"""`shared.psa.one_by_one`: the port's writes for a PSA that takes one contact a request (R3.5, R8.7)."""

from __future__ import annotations

import pytest

from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ContactFields, MicrosoftFacts, PsaContact
from shared.psa.one_by_one import OneByOne, merged
from shared.psa.port import ContactChange, NewContact


class Recorder(OneByOne):
    """Writes nothing anywhere: records each request and refuses what it is told to."""

    def __init__(self, *, refuse: frozenset[str] = frozenset(), down: frozenset[str] = frozenset()) -> None:
        self.sent: list[ContactChange | NewContact] = []
        self.refuse, self.down = refuse, down

    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        self.sent.append(item)
        if item.fields.email in self.down:
            raise PsaUnavailable("503 from the PSA")
        if item.fields.email in self.refuse:
            raise PsaRefused("email taken", status=409)
        return PsaContact(id=f"k-{item.entra_user_id}", client_id=client_id, email=item.fields.email)

    async def _change(self, client_id: str, item: ContactChange) -> None:
        self.sent.append(item)
        if item.contact_id in self.down:
            raise PsaUnavailable("503 from the PSA")
        if "title" in item.changes and item.changes["title"] in self.refuse:
            raise PsaRefused("title too long", status=400)


def new(user: str) -> NewContact:
    return NewContact(user, ContactFields(email=f"{user}@contoso.com"))


async def test_r3_5_a_refused_create_fails_that_user_only() -> None:
    psa = Recorder(refuse=frozenset({"b@contoso.com"}))
    results = await psa.create_contacts("c-1", [new("a"), new("b"), new("c")])
    assert [type(r).__name__ for r in results] == ["PsaContact", "PsaRefused", "PsaContact"]


async def test_r8_7_an_outage_stops_the_batch_at_once() -> None:
    psa = Recorder(down=frozenset({"b@contoso.com"}))
    with pytest.raises(PsaUnavailable):
        await psa.create_contacts("c-1", [new("a"), new("b"), new("c")])
    assert len(psa.sent) == 2  # "c" was never sent


async def test_a_contacts_items_go_out_as_one_request() -> None:
    psa = Recorder()
    facts = MicrosoftFacts(license="Microsoft 365 Business Basic")
    items = [
        ContactChange(contact_id="k-1", changes={"title": "Nurse"}),
        ContactChange(contact_id="k-2", active=False, inactive_reason="disabled"),
        ContactChange(contact_id="k-1", facts=facts),
    ]
    assert await psa.change_contacts("c-1", items) == [None, None, None]
    assert psa.sent == [
        ContactChange(contact_id="k-1", changes={"title": "Nurse"}, facts=facts),
        ContactChange(contact_id="k-2", active=False, inactive_reason="disabled"),
    ]


async def test_a_refused_merged_request_is_sent_item_by_item_so_each_result_is_its_own() -> None:
    psa = Recorder(refuse=frozenset({"x" * 300}))
    items = [
        ContactChange(contact_id="k-1", changes={"title": "x" * 300}),
        ContactChange(contact_id="k-1", active=False, inactive_reason="disabled"),
    ]
    results = await psa.change_contacts("c-1", items)
    assert isinstance(results[0], PsaRefused) and results[1] is None
    assert len(psa.sent) == 3  # the merged request, then each item alone


def test_merged_keeps_later_fields_the_last_facts_and_the_last_active_flag() -> None:
    first, last = MicrosoftFacts(license="A"), MicrosoftFacts(license="B")
    items = [
        ContactChange(
            contact_id="k", changes={"title": "a", "city": "x"}, facts=first, active=False, inactive_reason="r"
        ),
        ContactChange(contact_id="k", changes={"title": "b"}, facts=last),
        ContactChange(contact_id="k", active=True),
    ]
    assert merged("k", items) == ContactChange(
        contact_id="k", changes={"title": "b", "city": "x"}, facts=last, active=True, inactive_reason=None
    )
