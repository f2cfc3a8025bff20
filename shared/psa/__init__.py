"""PSA connectors: the port and its adapters."""

from shared.psa.directory import TableDirectory
from shared.psa.port import ClientDirectory, ContactDirectory, PsaConnector

__all__ = ["ClientDirectory", "ContactDirectory", "PsaConnector", "TableDirectory"]
