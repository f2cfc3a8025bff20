"""Dev tools, not the product: the Graph simulator, the PSA API fakes, `simulate`, `bench`, the scenario
files and the counting connector. The app's own code never imports this package (an import-linter
contract says so) and `.funcignore` keeps it out of the deployment."""

from pathlib import Path

__all__ = ["NORTHWIND", "SCENARIOS"]

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
NORTHWIND = SCENARIOS / "northwind.json"
