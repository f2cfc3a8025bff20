"""Autotask PSA: the connector, its zone, its budget, and how R4's fields map to its contacts."""

from shared.psa.autotask.build import build_autotask, is_refusal
from shared.psa.autotask.connector import AutotaskConnector

__all__ = ["AutotaskConnector", "build_autotask", "is_refusal"]
