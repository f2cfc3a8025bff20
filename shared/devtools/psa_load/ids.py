"""The map between a scenario's ids and a PSA's own, in both directions (SCENARIOS.md, `--psa`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

__all__ = ["IdKind", "PsaIds"]

IdKind = Literal["client", "contact"]


class PsaIds:
    """Scenario id <-> PSA id, per kind. An id the map does not know passes through as it is: a
    scenario id the PSA was never given (a decision naming a client that does not exist reaches the
    PSA as written, and the PSA says it has none), and a PSA id the scenario never named (a contact
    or client the sync created keeps the PSA's own id in the report)."""

    def __init__(self) -> None:
        self._to_psa: dict[tuple[IdKind, str], str] = {}
        self._to_scenario: dict[tuple[IdKind, str], str] = {}

    def add(self, kind: IdKind, scenario_id: str, psa_id: str) -> None:
        known = self._to_psa.get((kind, scenario_id))
        if known is not None and known != psa_id:
            raise ValueError(f"{kind} {scenario_id!r} is already loaded as {known!r}")
        self._to_psa[(kind, scenario_id)] = psa_id
        self._to_scenario[(kind, psa_id)] = scenario_id

    def psa(self, kind: IdKind, scenario_id: str) -> str:
        """The PSA's id for a scenario id (the id itself when the scenario's PSA data had none)."""
        return self._to_psa.get((kind, scenario_id), scenario_id)

    def scenario(self, kind: IdKind, psa_id: str) -> str:
        """The scenario's id for a PSA id (the PSA's own id for a record the scenario did not give)."""
        return self._to_scenario.get((kind, psa_id), psa_id)

    def scenarios(self, kind: IdKind, psa_ids: Iterable[str]) -> list[str]:
        return [self.scenario(kind, value) for value in psa_ids]

    def loaded(self, kind: IdKind) -> dict[str, str]:
        """Scenario id -> PSA id of every record of `kind` loaded."""
        return {scenario_id: psa_id for (k, scenario_id), psa_id in self._to_psa.items() if k == kind}
