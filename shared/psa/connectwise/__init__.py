"""ConnectWise PSA: the connector, how R4's fields map to its contacts, and the fetcher of its
callbacks' signing keys."""

from shared.psa.connectwise.build import build_connectwise, connectwise_accept
from shared.psa.connectwise.callback_keys import ConnectWiseKeyFetcher
from shared.psa.connectwise.connector import ConnectWiseConnector

__all__ = ["ConnectWiseConnector", "ConnectWiseKeyFetcher", "build_connectwise", "connectwise_accept"]
