"""Tables the core owns: identity (global), the module registry state, policies, audit, outbox,
idempotency keys, jobs users wait for."""

from core.models.api_key import ApiKey
from core.models.audit import AuditEntry
from core.models.idempotency import IdempotencyKey
from core.models.invitation import Invitation
from core.models.job import Job
from core.models.login_failure import LoginFailure
from core.models.module_state import ModuleState
from core.models.outbox import EventReceipt, OutboxEvent
from core.models.policy import PolicyRule, Role
from core.models.tenant import Tenant, TenantModel
from core.models.token import RefreshToken
from core.models.user import Membership, User

__all__ = [
    "ApiKey",
    "AuditEntry",
    "EventReceipt",
    "IdempotencyKey",
    "Invitation",
    "Job",
    "LoginFailure",
    "Membership",
    "ModuleState",
    "OutboxEvent",
    "PolicyRule",
    "RefreshToken",
    "Role",
    "Tenant",
    "TenantModel",
    "User",
]
