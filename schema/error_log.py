"""What the log keeps of a failed request: the operation's name, a hash of its document, the
error's path and code, and for an unexpected error its type and stack. Never the document text,
a variable, an error message or an exception's text: those carry e-mail addresses, phone numbers
and, from the database driver, the bound values of a failed statement (`Key (email)=(...)`)."""

from __future__ import annotations

import hashlib
import logging
import traceback

from graphql import GraphQLError
from strawberry.types import ExecutionContext

from core.errors import is_client_error

log = logging.getLogger("sellercare.graphql")


def document_hash(query: str | None) -> str:
    return hashlib.sha256((query or "").encode("utf-8", "surrogatepass")).hexdigest()[:16]


def log_errors(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    operation = (context.operation_name if context else None) or "(anonymous)"
    digest = document_hash(context.query if context else None)
    for error in errors:
        path = ".".join(str(p) for p in error.path or ()) or "-"
        code = (error.extensions or {}).get("code", "-")
        if is_client_error(error):
            log.info("graphql request refused: operation=%s document=%s path=%s code=%s",
                     operation, digest, path, code)
            continue
        original = error.original_error
        stack = "".join(traceback.format_tb(original.__traceback__)) if original else ""
        log.error("graphql request failed: operation=%s document=%s path=%s error=%s.%s\n%s",
                  operation, digest, path, type(original).__module__, type(original).__qualname__,
                  stack)
