"""The Starlette application: one lifespan opens the database, Redis, the policy watcher and
(embedded mode) the in-process arq worker; `/graphql` serves the composed schema."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.temporal_response import TemporalResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from core import exports, heap, storage
from core.auth.authenticate import authenticate
from core.auth.client_address import client_address
from core.errors import ClientError, RetryableError
from core.graphql.context import Context
from core.health import health as check_health
from core.i18n import N_, format_locale, negotiate, translate
from core.idempotency import REPLAYED_HEADER
from core.outage import UNAVAILABLE, is_outage
from core.registry import Registry
from core.runtime import Runtime
from core.settings import Settings
from core.storage import kinds as storage_kinds
from core.storage import links as storage_links
from schema import graphiql, idempotent
from schema.builder import build_schema
from schema.http import BodyGuard
from schema.limits import localize_errors
from schema.uploads import takes_upload, upload_types
from workers.embedded import InProcessWorker

log = logging.getLogger(__name__)

# A signed download (an export, an attachment): never cached, never sniffed, no referrer to leak it.
DOWNLOAD_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
                    "X-Content-Type-Options": "nosniff"}


class LocalizedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws with the errors HTTP gives: validation errors (depth, aliases, cost) in
    the language of the websocket's handshake, without schema hints in production. Errors that
    close the socket (syntax, token limit) keep graphql-core's text: the close reason is ASCII."""

    async def _handle_pre_execution_error(self, operation: Operation[Any, None], result: PreExecutionError) -> None:
        context: Context = self.context
        if result.errors and self._get_pre_execution_close_reason(result.errors[0]) is None:
            result.errors = localize_errors(result.errors, context.locale, context.rt.settings.production)
        await super()._handle_pre_execution_error(operation, result)


class SellercareGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LocalizedTransportWSHandler

    def __init__(self, rt: Runtime, **kwargs: Any):
        # Subscriptions: graphql-transport-ws only (the legacy graphql-ws protocol is unmaintained);
        # browsers on other origins may open a websocket only from the configured CORS origins.
        super().__init__(build_schema(rt.modules, rt.settings),
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         allowed_origins=rt.settings.cors_origins,
                         # A document in a URL lands in every proxy's access log, e-mails and all.
                         allow_queries_via_get=False, **kwargs)
        self.rt = rt
        self.uploads = upload_types(self.schema._schema)  # type: ignore[attr-defined]

    def takes_upload(self, operations: dict[str, Any]) -> bool:
        return takes_upload(operations, self.uploads, self.rt.settings.max_tokens)

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: TemporalResponse | Response | None
    ) -> Context:
        locale = negotiate(request.headers.get("accept-language"))
        ctx = Context(request=request if isinstance(request, Request) else None, rt=self.rt, locale=locale,
                      format_locale=format_locale(request.headers.get("accept-language")),
                      client_ip=client_address(request, self.rt.settings.trusted_proxies))
        try:
            ctx.principal = await authenticate(
                self.rt.settings, request.headers.get("authorization"), locale
            )
        except ClientError as exc:
            ctx.auth_error = exc
        except Exception as exc:
            if not is_outage(exc):
                raise
            # The membership cannot be read: every field that needs a caller says so, coded.
            ctx.auth_error = RetryableError("SERVICE_UNAVAILABLE", UNAVAILABLE, locale)
        return ctx

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a websocket: the token comes in connection_init's payload
        ({"authorization": "Bearer ..."}). Bad credentials refuse the connection (close 4403); good
        ones are kept, to be checked again as events are delivered (Context.recheck_credentials)."""
        params = context.connection_params or {}
        header = params.get("authorization", params.get("Authorization"))
        if header is not None:
            try:
                if not isinstance(header, str):
                    raise ClientError("INVALID_TOKEN", N_("Send credentials as 'Authorization: Bearer <token>'."),
                                      context.locale)
                context.principal = await authenticate(self.rt.settings, header, context.locale)
                context.auth_error = None
                context.keep_credentials(header)
            except ClientError as exc:
                context.principal, context.auth_error = None, exc
        if context.auth_error is not None:
            raise ConnectionRejectionError({"message": context.auth_error.message,
                                            "code": (context.auth_error.extensions or {}).get("code")})
        return UNSET

    async def render_graphql_ide(self, request: Request) -> Response:
        """strawberry's GraphiQL page, with its assets served from /static (no CDN)."""
        return graphiql.page(request.scope.get("root_path", ""))

    async def execute_single(
        self, request: Request, request_adapter: Any, sub_response: Response, context: Context,
        root_value: Any, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A mutation with an `Idempotency-Key` runs once per key (schema/idempotent.py)."""
        parent = super().execute_single

        async def run() -> ExecutionResult:
            return await parent(request, request_adapter, sub_response, context, root_value, request_data)

        return await idempotent.execute(request, context, request_data, sub_response, run,
                                        lambda result: self.process_result(request, result))

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if isinstance(result, idempotent.Processed):
            return result.response  # stored with its key, or replayed: already localized
        if result.errors:
            locale = negotiate(request.headers.get("accept-language"))
            result.errors = localize_errors(result.errors, locale, self.rt.settings.production)
        return await super().process_result(request, result)


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    lazy = _LazyGraphQL()
    module_routes = _ModuleRoutes()
    graphql_app = BodyGuard(lazy, settings.max_body_bytes, settings.max_upload_bytes,
                            accepts_upload=lambda operations: lazy.target is not None
                            and lazy.target.takes_upload(operations))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        rt = await Runtime.start(settings, registry)
        worker = InProcessWorker(rt) if settings.embedded else None
        app.state.rt = rt
        module_routes.target = Router(routes=[r for m in rt.modules for r in m.load_routes()])
        app.state.worker = worker  # embedded mode's in-process worker (tests hold its jobs back), or None
        lazy.target = SellercareGraphQL(
            rt, graphql_ide=None if settings.production else "graphiql",
            # File uploads (GraphQL multipart request spec). Credentials travel only in the Authorization
            # header, which a cross-site form cannot send, so a multipart POST is no CSRF vector here.
            multipart_uploads_enabled=True,
        )
        await rt.start_modules("api")  # e.g. aftersales' language detector, built in its own thread
        heap.settle_after_startup()
        if worker:
            await worker.start()
        try:
            yield
        finally:
            if worker:
                await worker.stop()
            await rt.stop()

    async def health(request: Request) -> JSONResponse:
        """503 while the database is unreachable (core.health); Redis away is "degraded", still 200."""
        rt = getattr(request.app.state, "rt", None)
        if rt is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        status, body = await check_health(rt.redis)
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def export_download(request: Request) -> Response:
        """A finished export; the signed token in the path is the credential (no bearer token)."""
        path, valid = exports.download_file(settings, request.path_params["token"])
        headers = dict(DOWNLOAD_HEADERS)
        if not valid or path is None:
            message = exports.LINK_INVALID if not valid else exports.FILE_GONE
            return Response(translate("core", message, negotiate(request.headers.get("accept-language"))),
                            status_code=403 if not valid else 404, media_type="text/plain", headers=headers)
        return FileResponse(path, media_type=exports.XLSX_MIME, headers=headers,
                            filename=f"export-{path.stem[:8]}.xlsx", content_disposition_type="attachment")

    async def stored_file(request: Request) -> Response:
        """A stored file (an attachment) behind its signed link, always as a download."""
        headers = {**DOWNLOAD_HEADERS, "Content-Security-Policy": "sandbox; default-src 'none'"}
        linked = storage_links.verify(request.path_params["token"])
        data = await storage.store().get(linked.key) if linked is not None else None
        if linked is None or data is None:
            message = exports.LINK_INVALID if linked is None else storage_links.FILE_GONE
            return Response(translate("core", message, negotiate(request.headers.get("accept-language"))),
                            status_code=403 if linked is None else 404, media_type="text/plain", headers=headers)
        disposition = f"attachment; filename*=UTF-8''{quote(linked.name or 'file', safe='')}"
        return Response(data, media_type=storage_kinds.served_type(linked.content_type),
                        headers={**headers, "Content-Disposition": disposition})

    middleware = []
    if settings.cors_origins:
        # Browser front-ends on other origins; tokens travel in the Authorization header.
        middleware.append(Middleware(
            CoreCORS, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "Idempotency-Key"],
            expose_headers=[REPLAYED_HEADER], max_age=600))
    routes: list[BaseRoute] = [
        Route("/health", health), Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),  # subscriptions (graphql-transport-ws)
        Route("/exports/{token}", export_download, methods=["GET"]),
        Route(storage_links.PATH + "{token}", stored_file, methods=["GET"])]
    if not settings.production:
        # GraphiQL's assets (the IDE is off in production).
        routes.append(Mount(graphiql.STATIC_PREFIX, app=graphiql.static_app(), name="static"))
        if missing := graphiql.missing_assets():
            log.error("GraphiQL's assets are missing (%s): run `make install` (needs Node.js and npm); "
                      "GET /graphql answers 503 until then", ", ".join(missing))
    routes.append(Mount("", app=module_routes))  # last: the installed modules' own routes (webhooks)
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )


class CoreCORS(CORSMiddleware):
    """CORS_ORIGINS for the API's own routes. A module's routes (under `/<module name>/`) answer
    browsers themselves: the contact form and the buyers' portal take any origin (they hold no
    cookie credential), and their preflight from a storefront must not be refused here."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rt = getattr(getattr(scope.get("app"), "state", None), "rt", None)
        if scope["type"] == "http" and rt is not None:
            first = scope["path"].split("/", 2)[1] if scope["path"].count("/") > 1 else ""
            if first in {m.name for m in rt.modules}:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class _ModuleRoutes:
    """The installed modules' routes, known once the lifespan has read which are installed."""

    target: Router | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.target is None:
            if scope["type"] == "http":
                await PlainTextResponse("starting", status_code=503)(scope, receive, send)
            return
        await self.target(scope, receive, send)


class _LazyGraphQL:
    """The GraphQL app exists only once the lifespan has read which modules are installed."""

    target: SellercareGraphQL | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.target is None and scope["type"] == "websocket":
            await WebSocketClose(code=1013)(scope, receive, send)  # 1013: try again later
            return
        if self.target is None:
            response = JSONResponse({"errors": [{"message": "Starting up."}]}, status_code=503)
            await response(scope, receive, send)
            return
        await self.target(scope, receive, send)
