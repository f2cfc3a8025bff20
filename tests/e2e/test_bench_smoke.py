"""`python -m shared.cli bench` end to end at a tiny size: the JSON object and the table (issue 7).
No timing is asserted: the figures belong to the machine the bench runs on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli.__main__ import main


def test_bench_prints_one_json_object_and_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"

    code = main(["bench", "--tenants", "2", "--users", "20", "--ingest-users", "30", "--json", str(out)])

    assert code == 0
    result = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert json.loads(printed[: printed.index("\n}\n") + 2]) == result  # the JSON comes first, whole
    assert "incremental, no changes" in printed and "targets:" in printed
    assert set(result) >= {"ingest", "full", "full_repeat", "incremental", "graph_requests_per_tenant_full", "targets"}
    assert set(result["ingest"]) >= {"ours_s", "sdk_s", "json_s", "ours_vs_json", "sdk_vs_ours"}
    phases = ("full", "full_repeat")
    for phase in (*(result[p] for p in phases), result["incremental"]["no_changes"], result["incremental"]["changed"]):
        assert set(phase) >= {
            "seconds",
            "users_per_second",
            "graph_requests_per_tenant",
            "psa_calls",
            "storage",
            "pass_kinds",
        }
        assert set(phase["storage"]) >= {"transactions", "table_reads", "table_writes", "queue_ops", "sync_writes"}
    assert result["full"]["pass_kinds"] == {"full": 2}
    assert result["full"]["counts"]["created"] > 0
    quiet = result["incremental"]["no_changes"]
    assert quiet["pass_kinds"] == {"delta": 2} and quiet["psa_calls"] == 0 and quiet["storage"]["sync_writes"] == 0
    assert result["incremental"]["changed"]["pass_kinds"] == {"delta": 2}
    for figures in result["graph_requests_per_tenant_full"].values():
        assert set(figures) >= {"measured_average", "minimum_average", "over_minimum_max"}
    assert set(result["graph_requests_per_tenant_full"]) == {"initial", "repeat"}
    assert result["full_repeat"]["pass_kinds"] == {"full": 2} and result["full_repeat"]["psa_writes"] == 0
    # The worker's own CPU is measured per phase; the bench's polling is not counted as the app's storage work.
    assert result["full"]["worker_cpu_seconds"] > 0 and result["full"]["worker_cpu_ms_per_tenant"] > 0
    assert result["full"]["process_cpu_seconds"] >= result["full"]["worker_cpu_seconds"]
    emulator = result["full"]["emulator_cpu_seconds"]
    assert emulator is None or emulator >= 0
    # Each tenant's worker reads its run, start_run waits on it, the last tenant completes it: 4. The bench's
    # own checks (has it finished? the details after) would add at least 2.
    assert quiet["storage"]["reads_by_table"].get("Runs", 0) <= 4
