"""Errors a client may see. Anything else is masked: no stack trace ever reaches a client.

- `UserFacingError`: a user's mistake in a mutation; it becomes a `UserError` in the payload.
- `ClientError`: a request that cannot be served (unauthenticated, forbidden, not found); it
  becomes a GraphQL error with `extensions.code`.
Both carry an English msgid and its gettext domain and are translated to the caller's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field

import strawberry
from graphql import GraphQLError

from core.i18n import translate


@dataclass
class UserFacingError(Exception):
    code: str
    message: str
    field: Sequence[str] | None = None
    params: dict[str, object] = dc_field(default_factory=dict)
    domain: str = "core"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def localized(self, locale: str) -> str:
        return translate(self.domain, self.message, locale, **self.params)


class UserFacingErrors(Exception):
    """Several field errors at once (a form with three bad fields gets three errors)."""

    def __init__(self, errors: Sequence[UserFacingError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


@strawberry.type(description="A user's mistake, returned in a mutation's payload.")
class UserError:
    code: str
    message: str
    field: list[str] | None = None


def user_errors(exc: UserFacingError | UserFacingErrors, locale: str) -> list[UserError]:
    items = exc.errors if isinstance(exc, UserFacingErrors) else [exc]
    return [
        UserError(code=e.code, message=e.localized(locale), field=list(e.field) if e.field else None)
        for e in items
    ]


class ClientError(GraphQLError):
    """A GraphQL error meant for the client, with a stable code in `extensions.code`."""

    def __init__(
        self, code: str, message: str, locale: str = "en", domain: str = "core", **params: object
    ):
        super().__init__(translate(domain, message, locale, **params), extensions={"code": code})
        self.code = code


def is_client_error(error: GraphQLError) -> bool:
    """Errors shown as they are: ours (ClientError), and graphql-core's own parse, validation and
    variable-coercion errors. Anything else a resolver raised is masked."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class RetryableError(ClientError):
    """A ClientError that the same request may overcome later, unchanged (`extensions.retryable`)."""

    def __init__(
        self, code: str, message: str, locale: str = "en", domain: str = "core", **params: object
    ):
        super().__init__(code, message, locale, domain, **params)
        self.extensions = {**(self.extensions or {}), "retryable": True}
