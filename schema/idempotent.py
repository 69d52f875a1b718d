"""`Idempotency-Key` on POST /graphql: a mutation sent again with the same key answers what the
first attempt answered, without running again (the rules and the table: core/idempotency.py).

Only a mutation takes a key. On a query the header is ignored: a query changes nothing, so
retrying one is safe anyway (Stripe ignores keys on GET alike). A key needs credentials, as it is
kept per caller.

The mutation runs inside one outer transaction that first claims the key and last stores the
response, so the two commit together or not at all. Services' own `in_transaction()` blocks nest
in it: tortoise keeps the open transaction's client in a contextvar, and `in_transaction()` under
it opens a SAVEPOINT on the same connection, whose release commits nothing yet. What services do
"after commit" (live updates, policy-change notices) waits for the outer commit
(core.after_commit).

Which answers are kept (`final`): those that say what the mutation did, and would say it again.
A success, payload errors (the user's mistakes), and a coded refusal of a field deeper in the
payload (FORBIDDEN on a nested field the caller may not read) are. Not kept, and everything the
mutation did is rolled back: an answer with null `data` (a root field refused or failed: the
answer would hide what the other fields did), one with a retryable error (an outage's
SERVICE_UNAVAILABLE) or an unexpected one ("Internal error.", no code), and a document refused
before it ran. The client then gets the errors with null `data`, and a retry runs afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from tortoise.transactions import in_transaction

from core import after_commit, idempotency
from core.auth.principal import Principal
from core.errors import ClientError, RetryableError
from core.graphql.context import Context
from core.outage import UNAVAILABLE, is_outage
from schema.builder import INTERNAL_ERROR
from schema.error_log import log_errors

log = logging.getLogger("sellercare.graphql")

Run = Callable[[], Awaitable[ExecutionResult]]
Render = Callable[[ExecutionResult], Awaitable[GraphQLHTTPResponse]]


@dataclass
class Processed(ExecutionResult):
    """A result whose JSON is already made (stored, or replayed): the view sends it as it is."""

    response: GraphQLHTTPResponse = field(default_factory=lambda: GraphQLHTTPResponse(data=None))


class _Discard(Exception):  # noqa: N818 - not an error: the way out of the transaction that rolls it back
    def __init__(self, result: ExecutionResult):
        super().__init__("discarded")
        self.result = result


def is_mutation(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    """Whether the request's chosen operation is a mutation. A document that does not parse, or
    does not say which operation to run, is not: strawberry refuses it and nothing runs."""
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.MUTATION


async def _upload_digest(upload: UploadFile) -> dict[str, Any]:
    digest = hashlib.sha256()
    await upload.seek(0)
    while chunk := await upload.read(1 << 20):
        digest.update(chunk)
    await upload.seek(0)
    return {"upload": digest.hexdigest(), "filename": upload.filename}


async def json_safe(value: Any) -> Any:
    """Variables as JSON, an uploaded file standing as its content's digest (a multipart retry
    has another boundary, but the same files)."""
    if isinstance(value, UploadFile):
        return await _upload_digest(value)
    if isinstance(value, dict):
        return {k: await json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [await json_safe(v) for v in value]
    return value


def _refused(error: GraphQLError, operation_name: str | None) -> ExecutionResult:
    log.info("idempotent request refused: operation=%s code=%s", operation_name or "(anonymous)",
             (error.extensions or {}).get("code", "-"))
    return ExecutionResult(data=None, errors=[error])


def _caller(context: Context) -> Principal:
    """The principal the key belongs to; the request's own authentication error when it has one."""
    if context.auth_error is not None:
        raise context.auth_error
    if context.principal is None:
        raise ClientError("UNAUTHENTICATED", idempotency.NEEDS_CREDENTIALS, context.locale)
    return context.principal


def final(result: ExecutionResult) -> bool:
    """Whether the answer is the mutation's last word, to commit and keep (see the docstring)."""
    if result.data is None:
        return False
    return all((e.extensions or {}).get("code") and not (e.extensions or {}).get("retryable")
               for e in result.errors or ())


async def _once(context: Context, principal: Principal, key: str, digest: str, sub_response: Response,
                run: Run, render: Render) -> Processed:
    """Claim the key, run, store the response: one transaction. Raises `_Discard` to roll back."""
    with after_commit.deferring() as effects:
        async with in_transaction():
            claimed = await idempotency.claim(principal.tenant_id, idempotency.scope_of(principal), key, digest,
                                              context.locale)
            if claimed.replay is not None:
                sub_response.headers[idempotency.REPLAYED_HEADER] = "true"
                return Processed(data=None, errors=None, response=json.loads(claimed.replay))
            assert claimed.row is not None
            result = await run()
            if not final(result):
                raise _Discard(result)  # rolls the mutation and the key back
            response = await render(result)
            await idempotency.store(claimed.row, json.dumps(response, separators=(",", ":")))
    await after_commit.run(effects)
    return Processed(data=result.data, errors=result.errors, response=response)


async def execute(request: Request, context: Context, data: GraphQLRequestData, sub_response: Response,
                  run: Run, render: Render) -> ExecutionResult:
    """Run the request: as it is without a key or when it is no mutation; else once per key."""
    values = request.headers.getlist(idempotency.HEADER)
    if not values or not is_mutation(data.query, data.operation_name, context.rt.settings.max_tokens):
        return await run()
    try:
        key = idempotency.check_key(values, context.locale)
        principal = _caller(context)
        # The caller's permissions, read now: inside the transaction a cold read would run in it.
        context.held = await context.rt.access.permissions(principal.user, principal.tenant_id)
        digest = idempotency.fingerprint(data.operation_name, data.query, await json_safe(data.variables))
        return await _once(context, principal, key, digest, sub_response, run, render)
    except _Discard as discarded:
        return ExecutionResult(data=None, errors=discarded.result.errors, extensions=discarded.result.extensions)
    except GraphQLError as exc:  # the key refused, or the caller's credentials
        return _refused(exc, data.operation_name)
    except Exception as exc:
        # Rolled back; or the commit's fate is unknown (the connection died during it), and then a
        # retry with the key replays it. Either way the client is told as any request would be.
        log_errors([GraphQLError("idempotent request failed", original_error=exc)], None)
        if is_outage(exc):
            return ExecutionResult(data=None, errors=[RetryableError("SERVICE_UNAVAILABLE", UNAVAILABLE,
                                                                     context.locale)])
        return ExecutionResult(data=None, errors=[GraphQLError(INTERNAL_ERROR)])
