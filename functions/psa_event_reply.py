"""The answer to a PSA's own change event (ConnectWise callbacks, Autotask webhooks): 202 with the
run it started or joined, or 200 when it started nothing (a replay, or nothing to do), so that the
vendor does not retry it."""

from __future__ import annotations

from fastapi import Response

from shared.models import RunStatus
from shared.models.base import WireModel
from shared.service.psa_events import VendorEventAnswer

__all__ = ["PsaEventReply", "reply"]


class PsaEventReply(WireModel):
    run_id: str | None = None
    status: RunStatus | None = None
    joined: bool = False  # a run of the tenant was already going: this is its id (R7.5)
    replay: bool = False  # the same event was taken before: nothing started
    ignored: str | None = None  # why nothing was started


def reply(response: Response, answer: VendorEventAnswer) -> PsaEventReply:
    if answer.run is None:
        response.status_code = 200
        return PsaEventReply(replay=answer.replay, ignored=answer.ignored)
    response.headers["Location"] = f"/api/runs/{answer.run.run_id}"
    return PsaEventReply(run_id=answer.run.run_id, status=answer.run.status, joined=not answer.started)
