"""Syncro: the connector and how R4's fields, R8's inactive mark and facts map to Syncro's."""

from shared.psa.syncro.connector import SyncroConnector
from shared.psa.syncro.mapping import CONTACT_FACT_PROPERTIES, CUSTOMER_FACT_PROPERTIES, INACTIVE_PROPERTY

__all__ = ["CONTACT_FACT_PROPERTIES", "CUSTOMER_FACT_PROPERTIES", "INACTIVE_PROPERTY", "SyncroConnector"]
