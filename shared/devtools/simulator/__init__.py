"""A Microsoft Graph simulator that serves a scenario file (SCENARIOS.md) on 127.0.0.1.

`GraphSimulator` runs Graph v1.0 over http and its Entra ID token endpoint over https; see
`shared.devtools.simulator.server` for how to point azure-identity and msgraph-sdk at it, and
`shared.devtools.simulator.scenario` for the scenario models and `load_scenario`.
"""

from shared.devtools.simulator.faults import Fault
from shared.devtools.simulator.scenario import GraphOp, Scenario, load_scenario, parse_scenario
from shared.devtools.simulator.server import GraphSimulator, RequestRecord

__all__ = ["Fault", "GraphOp", "GraphSimulator", "RequestRecord", "Scenario", "load_scenario", "parse_scenario"]
