"""How users, roles and domains are spelled in casbin rules."""

DEFAULT_DOMAIN = "*"


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


def role_subject(name: str) -> str:
    return f"role:{name}"


def domain(tenant_id: int) -> str:
    return str(tenant_id)
