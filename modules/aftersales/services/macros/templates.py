"""Reply templates: `{{ customer.first_name }}`-style placeholders and a few text filters, nothing else.

A template is parsed at save time and its syntax tree walked: only text, `namespace.field`
placeholders that a context provider declares, and the filters in FILTERS pass. Statements
(`{% ... %}`), calls, item access, literals and attributes of anything but a namespace are refused,
so `{{ ''.__class__ }}` or `{% import os %}` never reach rendering. Rendering runs in jinja2's
SandboxedEnvironment with StrictUndefined over plain dicts of strings, as a second wall.

Context providers fill one namespace each (customer, order, ticket, agent). Another part of the
module or a partner's adds its own by `register_provider`; its placeholders become valid the moment
it is registered. `refund.amount` is the order's latest refund. A template may be rendered without a
ticket (a notification to a customer about an order: `subject_for_customer`): the ticket's and the
agent's placeholders then have no value. Money and dates are formatted in the subject's locale
(the customer's language, else the tenant's) and dates in its time zone (the customer's, else the
tenant's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from core.errors import UserFacingError
from core.i18n import N_
from core.identity import members
from core.models import Tenant, User
from core.money import format_money
from core.tenancy import scoped
from modules.aftersales.models import Ticket
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.returns import refunds
from modules.crm.models import Customer, Order

MAX_TEMPLATE = 20_000
FILTERS = ("upper", "lower", "title", "capitalize", "trim")

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class RenderSubject:
    """What providers read: the ticket (None for a notification) with its customer and order
    (tenant-checked), the agent replying, the locale to format for (the customer's language, else
    the tenant's) and the time zone dates are shown in."""

    ticket: Ticket | None
    customer: Customer | None
    order: Order | None
    agent: User | None
    locale: str
    tenant_id: int = 0
    timezone: str = "UTC"


# A provider returns its namespace's values as strings, or None when the ticket has nothing to
# give (no order): a template using it then cannot be rendered for this ticket.
Provider = Callable[[RenderSubject], Awaitable[dict[str, str] | None]]


@dataclass(frozen=True)
class ContextProvider:
    namespace: str
    fields: tuple[str, ...]
    provide: Provider


_providers: dict[str, ContextProvider] = {}


def register_provider(namespace: str, fields: Sequence[str], provide: Provider) -> None:
    """Make `namespace.<field>` placeholders valid and filled by `provide`; a namespace is taken once."""
    if namespace in _providers:
        raise ValueError(f"template namespace {namespace!r} is already registered")
    _providers[namespace] = ContextProvider(namespace, tuple(fields), provide)


def unregister_provider(namespace: str) -> None:
    _providers.pop(namespace, None)


def placeholders() -> list[str]:
    return sorted(f"{p.namespace}.{f}" for p in _providers.values() for f in p.fields)


# --- Checking --------------------------------------------------------------------------------

def _forbidden(field: Sequence[str]) -> UserFacingError:
    return err("FORBIDDEN_TEMPLATE", N_("Only placeholders such as {example} and the filters {filters} are "
                                        "allowed in a template."),
               field, example="{{ customer.first_name }}", filters=", ".join(FILTERS))


def _expression(node: nodes.Node, known: set[str], field: Sequence[str]) -> str:
    """The placeholder an output expression names (through allowed filters), or an error."""
    if isinstance(node, nodes.Filter):
        if node.name not in FILTERS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs \
                or node.node is None:
            raise _forbidden(field)
        return _expression(node.node, known, field)
    if isinstance(node, nodes.Name):
        raise err("UNKNOWN_PLACEHOLDER", N_("Unknown placeholder {name}."), field, name=node.name)
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.ctx == "load":
        path = f"{node.node.name}.{node.attr}"
        if node.attr.startswith("_") or path not in known:
            raise err("UNKNOWN_PLACEHOLDER", N_("Unknown placeholder {name}."), field, name=path)
        return path
    raise _forbidden(field)


def check(source: str, field: Sequence[str]) -> set[str]:
    """The placeholders a template uses; UserFacingError when it is anything but text and placeholders."""
    if len(source) > MAX_TEMPLATE:
        raise err("TOO_LONG", N_("At most {max} characters."), field, max=MAX_TEMPLATE)
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as exc:
        raise err("TEMPLATE_SYNTAX", N_("Template error on line {line}: {detail}"), field,
                  line=exc.lineno, detail=exc.message or "") from None
    known = set(placeholders())
    used: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            raise _forbidden(field)
        for node in statement.nodes:
            if not isinstance(node, nodes.TemplateData):
                used.add(_expression(node, known, field))
    return used


# --- Rendering -------------------------------------------------------------------------------

def _locale(*candidates: str | None) -> str:
    """The first candidate babel knows, as babel spells it (de_DE, zh_Hans); else English."""
    for tag in candidates:
        if not tag:
            continue
        try:
            return str(Locale.parse(tag.replace("_", "-"), sep="-"))
        except (ValueError, UnknownLocaleError):
            continue
    return "en"


async def subject_for(ticket: Ticket, agent_id: int | None, tenant_locale: str) -> RenderSubject:
    tid = ticket.tenant_id
    customer = await scoped(Customer, tid).filter(id=ticket.customer_id).first() if ticket.customer_id else None
    order = await scoped(Order, tid).filter(id=ticket.order_id).first() if ticket.order_id else None
    agent = await members(tid).filter(id=agent_id).first() if agent_id else None
    tenant = await Tenant.get(id=tid)
    return RenderSubject(ticket=ticket, customer=customer, order=order, agent=agent, tenant_id=tid,
                         locale=_locale(customer.language if customer else None, tenant_locale),
                         timezone=(customer.timezone if customer else None) or tenant.timezone)


async def subject_for_customer(tenant_id: int, customer_id: int, order_id: int | None) -> RenderSubject | None:
    """What a message to a customer outside any ticket renders with (None: no such customer); an
    order of someone else is not theirs to see."""
    customer = await scoped(Customer, tenant_id).filter(id=customer_id).first()
    if customer is None:
        return None
    order = await scoped(Order, tenant_id).filter(id=order_id, customer_id=customer_id).first() if order_id else None
    tenant = await Tenant.get(id=tenant_id)
    return RenderSubject(ticket=None, customer=customer, order=order, agent=None, tenant_id=tenant_id,
                         locale=_locale(customer.language, tenant.default_locale),
                         timezone=customer.timezone or tenant.timezone)


async def render(source: str, subject: RenderSubject, field: Sequence[str]) -> str:
    """The template filled for this subject; MISSING_VALUE names a placeholder it has no value for."""
    used = check(source, field)
    context: dict[str, dict[str, str]] = {}
    for namespace in sorted({u.split(".", 1)[0] for u in used}):
        values = await _providers[namespace].provide(subject)
        if values is not None:
            context[namespace] = values
    for path in sorted(used):
        namespace, name = path.split(".", 1)
        if name not in context.get(namespace, {}):
            raise err("MISSING_VALUE", N_("This ticket has no value for {name}."), field, name=path)
    return _env.from_string(source).render(context)


# --- The module's own namespaces -------------------------------------------------------------

async def _customer(s: RenderSubject) -> dict[str, str] | None:
    c = s.customer
    if c is None:
        return None
    return {"first_name": c.first_name, "last_name": c.last_name,
            "name": c.display_name or " ".join(p for p in (c.first_name, c.last_name) if p)}


async def _order(s: RenderSubject) -> dict[str, str] | None:
    o = s.order
    if o is None:
        return None
    return {"number": o.number, "total": format_money(o.total, o.currency, s.locale),
            "date": format_date(o.placed_at.astimezone(_zone(s.timezone)), "long", locale=s.locale)}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _ticket(s: RenderSubject) -> dict[str, str] | None:
    return {"number": str(s.ticket.number), "subject": s.ticket.subject} if s.ticket else None


async def _agent(s: RenderSubject) -> dict[str, str] | None:
    name = getattr(s.agent, "member_name", None) if s.agent else None
    return {"name": name} if name else None


async def _refund(s: RenderSubject) -> dict[str, str] | None:
    """The ticket's order's latest refund that did not fail, in the customer's locale."""
    if s.order is None:
        return None
    refund = await refunds.latest_refund(s.order.tenant_id, s.order.id)
    if refund is None:
        return None
    return {"amount": format_money(refund.amount, refund.currency, s.locale)}


register_provider("customer", ("first_name", "last_name", "name"), _customer)
register_provider("order", ("number", "total", "date"), _order)
register_provider("ticket", ("number", "subject"), _ticket)
register_provider("agent", ("name",), _agent)
register_provider("refund", ("amount",), _refund)
