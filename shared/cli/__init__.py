"""`python -m shared.cli`: the app's use cases from a terminal, and the local simulation."""
