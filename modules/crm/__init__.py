"""The crm module: one customer across every sales platform, with orders, tags and notes."""

from core.registry import Module, Permission

module = Module(
    name="crm",
    version="0.1.0",
    summary="Customers from every platform, orders, tags, notes and the 360 view",
    package="modules.crm",
    permissions=(
        Permission("crm.customer", "read", "See customers and their orders"),
        Permission("crm.customer", "write", "Create and edit customers, tags and notes"),
        Permission("crm.customer.pii", "read", "See customers' e-mails, phones and addresses"),
        Permission("crm.customer", "erase", "Erase a customer's personal data on request"),
        Permission("crm.channel", "write", "Connect sales channels"),
        Permission("crm.settings", "write", "Define customers' custom fields and other crm settings"),
    ),
    graphql="modules.crm.graphql.schema:contribution",
    worker="modules.crm.jobs:worker",
    demo="modules.crm.demo:load",
    automation="modules.crm.automation:contribution",
)
