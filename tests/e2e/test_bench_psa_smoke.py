"""`python -m shared.cli bench --psa alga` end to end at a tiny size: the JSON object and the table. Request
counts are asserted (they are the connector's, not the machine's); no timing is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli.__main__ import main


def test_bench_psa_counts_requests_per_user_and_checks_for_lost_and_duplicated_contacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"

    code = main(["bench", "--psa", "alga", "--tenants", "2", "--users", "10", "--json", str(out)])

    assert code == 0
    result = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert json.loads(printed[: printed.index("\n}\n") + 2]) == result and "targets:" in printed
    initial, unchanged, updated = result["initial"], result["unchanged"], result["updated"]
    assert initial["counts"]["created"] > 0 and initial["counts"]["failed"] == 0
    # Alga at the floor: one request per created or updated user, none per unchanged one beyond the lists.
    assert (initial["per_user"], unchanged["per_user"], updated["per_user"]) == (
        {"created": 1.0},
        {"unchanged": 0.0},
        {"updated": 1.0},
    )
    assert unchanged["list_pages"] == 2 and unchanged["requests_by_kind"].get("contact write", 0) == 0
    for phase in (initial, unchanged, updated):
        assert phase["integrity"]["lost"] == phase["integrity"]["duplicated"] == 0
        assert phase["rate"]["throttled"] == 0
    assert result["deletes"] == 0
    assert result["limit"] == "token bucket: burst 120, 60/min"
