"""The pure sync core: tenant matching, user scope, the planner; imports nothing of ours but models.

The surface: `plan_tenant(TenantInputs) -> TenantPlan` for one tenant's pass, `suggest`/`suggest_all`
for tenant → client suggestions (R1). Everything else is internal to the core."""

from shared.sync.inputs import TenantInputs
from shared.sync.matching import suggest, suggest_all
from shared.sync.plan import TenantPlan, UserPlan
from shared.sync.planner import plan_tenant

__all__ = ["TenantInputs", "TenantPlan", "UserPlan", "plan_tenant", "suggest", "suggest_all"]
