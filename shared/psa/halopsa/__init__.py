"""HaloPSA: the connector, its OAuth2 client credentials, and how R4's fields map to Halo's users."""

from shared.psa.halopsa.build import build_halo
from shared.psa.halopsa.connector import HaloConnector

__all__ = ["HaloConnector", "build_halo"]
