"""A scenario's PSA data into a vendor's API fake, in the vendor's own shapes and ids, and read back as
the vendor holds it (SCENARIOS.md, "Against a real PSA's API: `--psa`"). One module per vendor.

    loaded = start_psa("syncro", scenario.psa)     # the fake started and loaded
    settings = loaded.settings()                   # PSA_PROVIDER, PSA_SYNCRO__* pointed at it
    loaded.ids.psa("contact", "k-1")               # the vendor's id of the scenario's k-1
    loaded.held().contacts                         # PsaContacts named by scenario ids
"""

from __future__ import annotations

from typing import Any

from shared.devtools.psa_load.alga import AlgaPsa
from shared.devtools.psa_load.autotask import AutotaskPsa
from shared.devtools.psa_load.connectwise import ConnectWisePsa
from shared.devtools.psa_load.halopsa import HaloPsa
from shared.devtools.psa_load.held import Held, PsaTally, is_write, tally_of
from shared.devtools.psa_load.ids import IdKind, PsaIds
from shared.devtools.psa_load.syncro import SyncroPsa
from shared.devtools.psa_load.vendor import SIMULATION_RETRIES, LoadedPsa
from shared.devtools.simulator.scenario import PsaData

__all__ = [
    "DIRECTORY",
    "PSAS",
    "SIMULATION_RETRIES",
    "VENDORS",
    "AlgaPsa",
    "AutotaskPsa",
    "ConnectWisePsa",
    "HaloPsa",
    "Held",
    "IdKind",
    "LoadedPsa",
    "PsaIds",
    "PsaTally",
    "SyncroPsa",
    "is_write",
    "start_psa",
    "tally_of",
]

DIRECTORY = "directory"  # the built-in directory: no fake, the scenario's own ids
VENDORS: dict[str, type[SyncroPsa | AlgaPsa | HaloPsa | ConnectWisePsa | AutotaskPsa]] = {
    "syncro": SyncroPsa,
    "alga": AlgaPsa,
    "halopsa": HaloPsa,
    "connectwise": ConnectWisePsa,
    "autotask": AutotaskPsa,
}
PSAS = (DIRECTORY, *VENDORS)


def start_psa(name: str, psa: PsaData, **fake_options: Any) -> LoadedPsa:
    """Start vendor `name`'s fake (with `fake_options`, e.g. `page_size=`) loaded with `psa`."""
    vendor = VENDORS.get(name)
    if vendor is None:
        raise ValueError(f"no API fake for the PSA {name!r}; choose one of: {', '.join(VENDORS)}")
    return vendor.start(psa, **fake_options)
