"""Alga PSA: the connector and how R4's fields map to Alga's."""

from shared.psa.alga.connector import AlgaConnector
from shared.psa.alga.mapping import CLIENT_FACT_PROPERTIES

__all__ = ["CLIENT_FACT_PROPERTIES", "AlgaConnector"]
