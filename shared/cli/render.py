"""Readable summaries for a terminal."""

from __future__ import annotations

from typing import Any

__all__ = ["report_summary", "table"]

_OUTCOMES = ("created", "linked", "updated", "unchanged", "queued", "inactivated", "reactivated", "ignored", "failed")


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report_summary(report: dict[str, Any]) -> str:
    names = {t["tenantId"]: t["displayName"] for t in report["discovered"]}
    out = [f"Scenario {report['scenario']}: {len(report['discovered'])} tenants discovered", ""]
    out.append(
        table(
            ["tenant", "suggestion", "candidates"],
            [
                [
                    names.get(s["tenantId"], s["tenantId"]),
                    s["status"],
                    ", ".join(f"{c['clientId']} ({c['reason']} {c['score']:.2f})" for c in s["candidates"]) or "-",
                ]
                for s in report["suggestions"]
            ],
        )
    )
    for number, step in enumerate(report["steps"], start=1):
        run = step["run"]
        out.append("")
        if run is None:
            out.append(f"Step {number}: no sync; PSA writes {step['psaWrites']}")
        else:
            dry = " (dry run)" if run["dryRun"] else ""
            out.append(
                f"Step {number}: {run['type']} run {run['status']} over {run['tenantsProcessed']}/"
                f"{run['tenantsExpected']} tenants{dry}; PSA writes {step['psaWrites']}"
            )
            rows = [
                [names.get(t["tenantId"], t["tenantId"]), t["status"], *[t["counts"][o] or "" for o in _OUTCOMES]]
                for t in run["tenants"]
            ]
            out.append(table(["tenant", "status", *_OUTCOMES], rows))
        for error in step["errors"]:
            out.append(f"  refused {error['kind']} for {error['tenantId']}: {error['reason']}")
    last = report["steps"][-1] if report["steps"] else None
    open_items = [a for a in (last["ambiguities"] if last else []) if a["status"] == "open"]
    out.append("")
    out.append(f"Open ambiguities: {len(open_items)}")
    if open_items:
        out.append(
            table(
                ["tenant", "user", "candidates"],
                [
                    [names.get(a["tenantId"], a["tenantId"]), a["userId"], ", ".join(a["candidateContactIds"])]
                    for a in open_items
                ],
            )
        )
    return "\n".join(out)
