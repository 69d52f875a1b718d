"""Authorization: casbin RBAC with domains (a tenant is a domain), cached per (user, tenant)."""

from core.access.control import AccessControl
from core.access.subjects import role_subject, user_subject

__all__ = ["AccessControl", "role_subject", "user_subject"]
