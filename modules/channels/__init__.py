"""The channels module: mailboxes (and, through partners' kinds, any other channel) whose messages
become tickets and replies, and whose replies reach the customer with a delivery state."""

from core.registry import Module, Permission

module = Module(
    name="channels",
    version="0.1.0",
    summary="Channel accounts (e-mail, WhatsApp, web form), inbound messages, delivery of replies",
    package="modules.channels",
    depends=("crm", "aftersales"),
    permissions=(
        Permission("channels.account", "read", "See channel accounts and the messages they received"),
        Permission("channels.account", "write", "Connect, change and switch off channel accounts"),
    ),
    graphql="modules.channels.graphql.schema:contribution",
    worker="modules.channels.jobs:worker",
    demo="modules.channels.demo:load",
    channels="modules.channels.kinds:kinds",
    routes="modules.channels.http:routes",
    startup="modules.channels.startup:start_up",
)
