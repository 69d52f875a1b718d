"""What the aftersales module contributes to the composed schema: the union of its parts, one
file per area (tickets, SLA, routing, macros, knowledge base, returns, live updates)."""

from core.registry import GraphQLContribution
from modules.aftersales.graphql import live
from modules.aftersales.graphql.kb import schema as kb
from modules.aftersales.graphql.macros import schema as macros
from modules.aftersales.graphql.returns import schema as returns
from modules.aftersales.graphql.routing import schema as routing
from modules.aftersales.graphql.sla import schema as sla
from modules.aftersales.graphql.tickets import schema as tickets

PARTS: tuple[GraphQLContribution, ...] = (
    tickets.contribution, sla.contribution, routing.contribution, macros.contribution, kb.contribution,
    returns.contribution, live.contribution,
)


def _merge(parts: tuple[GraphQLContribution, ...]) -> GraphQLContribution:
    extends: dict[str, list[type]] = {}
    for part in parts:
        for name, classes in part.extends.items():
            extends.setdefault(name, []).extend(classes)
    return GraphQLContribution(
        queries=[q for p in parts for q in p.queries],
        mutations=[m for p in parts for m in p.mutations],
        subscriptions=[s for p in parts for s in p.subscriptions],
        types=[t for p in parts for t in p.types],
        extends=extends,
    )


contribution = _merge(PARTS)
