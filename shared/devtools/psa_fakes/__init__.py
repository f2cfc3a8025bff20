"""PSA API fakes: Syncro, Alga PSA, HaloPSA, ConnectWise PSA and Autotask as real HTTP servers on
127.0.0.1, every request checked against the vendor's published spec (`/work/shared/psa-specs`, beside
the repo); `callbacks` sends ConnectWise callbacks and Autotask webhooks signed as the vendors sign them.

    with AlgaFake() as alga:
        ...                                  # talk to alga.base_url with x-api-key: alga.api_key
        alga.assert_conformant()             # no request broke the spec

`PsaFake` (base) is the reusable server: faults, rate limits, request log, spec check; `SpecChecker`
reads OpenAPI 3.0/3.1 and Swagger 2.0 specs. Dev tools only: the app never imports this package.
"""

from shared.devtools.psa_fakes.alga import AlgaFake
from shared.devtools.psa_fakes.autotask import AutotaskFake
from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.callbacks import (
    AutotaskWebhooks,
    ConnectWiseCallbacks,
    HostMap,
    SignedCallback,
    autotask_signature,
    connectwise_signature,
)
from shared.devtools.psa_fakes.connectwise import KEY_HOST, ConnectWiseFake
from shared.devtools.psa_fakes.extract import OutsideExtract
from shared.devtools.psa_fakes.faults import PsaFault
from shared.devtools.psa_fakes.halopsa import HaloFake
from shared.devtools.psa_fakes.ratelimit import RateDecision, SlidingWindow, TokenBucket
from shared.devtools.psa_fakes.spec import SpecChecker, SpecUnavailable, spec_dir
from shared.devtools.psa_fakes.syncro import SyncroFake
from shared.devtools.psa_fakes.wire import LoadedIds, RequestRecord, SpecViolation

__all__ = [
    "KEY_HOST",
    "AlgaFake",
    "AutotaskFake",
    "AutotaskWebhooks",
    "ConnectWiseCallbacks",
    "ConnectWiseFake",
    "HaloFake",
    "HostMap",
    "LoadedIds",
    "OutsideExtract",
    "PsaFake",
    "PsaFault",
    "RateDecision",
    "RequestRecord",
    "SignedCallback",
    "SlidingWindow",
    "SpecChecker",
    "SpecUnavailable",
    "SpecViolation",
    "SyncroFake",
    "TokenBucket",
    "autotask_signature",
    "connectwise_signature",
    "spec_dir",
]
