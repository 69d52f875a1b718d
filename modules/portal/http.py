"""POST /portal/{slug}/graphql: the buyers' portal, public (no staff login), for one shop.

The tenant is the URL's path segment, so a storefront's endpoint is fixed and nothing in a
request can name another tenant. In order: past the per-address rate limit 429 with Retry-After
(throttle), an unknown slug 404, then the body is checked as the staff API's is (schema.http:
JSON only, at most MAX_BODY bytes, no uploads) and the portal schema runs. Answers carry
`Access-Control-Allow-Origin: *`: the portal takes no cookie, only a bearer token the page holds,
so no origin gains anything by it. Errors are in the caller's Accept-Language.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.temporal_response import TemporalResponse
from strawberry.types import ExecutionResult

from core.auth.client_address import client_address
from core.i18n import N_, format_locale, negotiate, translate
from core.models import Tenant
from core.runtime import Runtime
from modules.portal import throttle
from modules.portal.context import PortalContext, Shop
from modules.portal.errors import DOMAIN
from modules.portal.graphql.schema import build_schema
from schema.http import BodyGuard
from schema.limits import localize_errors

PATH = "/portal/{slug}/graphql"
MAX_BODY = 64 * 1024
CORS = {"Access-Control-Allow-Origin": "*"}
SHOP = "sellercare.portal.shop"  # the scope key the endpoint hands the view the shop under


def _error(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **params: object) -> JSONResponse:
    """A GraphQL-shaped refusal in the caller's language."""
    text = translate(DOMAIN, message, negotiate(request.headers.get("accept-language")), **params)
    return JSONResponse({"data": None, "errors": [{"message": text, "extensions": {"code": code}}]},
                        status_code=status, headers={"Cache-Control": "no-store", **CORS, **(headers or {})})


class PortalGraphQL(GraphQL[PortalContext, None]):
    def __init__(self, rt: Runtime):
        super().__init__(build_schema(rt.settings.production), graphql_ide=None, allow_queries_via_get=False,
                         multipart_uploads_enabled=False, subscription_protocols=())
        self.rt = rt

    async def get_context(  # type: ignore[override]
        self, request: Request, response: TemporalResponse | Response | None
    ) -> PortalContext:
        header = request.headers.get("accept-language")
        formats = format_locale(header)
        return PortalContext(request=request, rt=self.rt, shop=request.scope[SHOP], locale=negotiate(header),
                             format_locale=formats, reader_language=formats if header else None,
                             client_ip=client_address(request, self.rt.settings.trusted_proxies))

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Validation errors (depth, aliases, cost) translated; no schema hints in production."""
        if result.errors:
            result.errors = localize_errors(result.errors, negotiate(request.headers.get("accept-language")),
                                            self.rt.settings.production)
        return await super().process_result(request, result)


class Endpoint:
    """The route's ASGI app: rate limit, shop, body checks, then the schema (built once per runtime)."""

    built: tuple[Runtime, BodyGuard] | None = None

    def _view(self, rt: Runtime) -> BodyGuard:
        if self.built is None or self.built[0] is not rt:
            self.built = (rt, BodyGuard(PortalGraphQL(rt), MAX_BODY, accepts_upload=lambda _: False))
        return self.built[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        rt: Runtime = request.app.state.rt
        if wait := await throttle.request_wait(client_address(request, rt.settings.trusted_proxies)):
            response = _error(request, 429, "RATE_LIMITED", N_("Too many requests: try again in {minutes} minutes."),
                              {"Retry-After": str(wait)}, minutes=-(-wait // 60))
            await response(scope, receive, send)
            return
        slug = str(request.path_params["slug"]).strip().lower()
        tenant = await Tenant.filter(slug=slug).first().values("id", "slug", "default_locale") if len(slug) <= 63 \
            else None
        if tenant is None:
            await _error(request, 404, "NOT_FOUND", N_("There is no such shop."))(scope, receive, send)
            return
        scope[SHOP] = Shop(int(tenant["id"]), str(tenant["slug"]), str(tenant["default_locale"]))

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k.lower().encode(), v.encode()) for k, v in CORS.items())]}
            await send(message)

        await self._view(rt)(scope, receive, with_cors)


async def preflight(request: Request) -> Response:
    """A browser asks before posting JSON with a bearer token from the storefront's origin."""
    return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "POST",
                                              "Access-Control-Allow-Headers": "Authorization, Content-Type, "
                                                                              "Accept-Language",
                                              "Access-Control-Max-Age": "86400"})


routes = [Route(PATH, Endpoint(), methods=["POST"]), Route(PATH, preflight, methods=["OPTIONS"])]


