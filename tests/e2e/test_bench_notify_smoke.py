"""`python -m shared.cli bench --notifications` end to end at a tiny size (issue 15): the JSON object, the
table, and the outcomes that do not depend on the machine: nothing missed, one pass for the burst."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli.__main__ import main

pytestmark = pytest.mark.integration


def test_bench_notifications_reports_latency_requests_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "notify.json"
    args = ["--tenants", "2", "--users", "12", "--changes", "4", "--burst", "60", "--json", str(out)]

    assert main(["bench", "--notifications", *args]) == 0

    result = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert json.loads(printed[: printed.index("\n}\n") + 2]) == result
    assert "latency change -> PSA write" in printed and "targets:" in printed
    one, burst = result["one_by_one"], result["burst"]
    assert (one["changes"], one["missed"], one["psa_writes"]) == (4, 0, 4)
    assert set(one["latency_s"]) == {"p50", "p95", "max"} and 0 < one["latency_s"]["max"] < 60
    assert 1 <= one["passes"] <= 4 and one["graph_requests_per_change"] > 0
    assert (burst["changes"], burst["passes"], burst["missed"], burst["psa_writes"]) == (60, 1, 0, 60)
    assert burst["acknowledged_within_3s"] is True
    assert all(result["targets"].values())
