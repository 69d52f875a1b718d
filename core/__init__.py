"""The sellercare core: registry, settings, database, tenancy, auth, access, events, i18n.

The core knows no module by name; modules plug in through `core.registry`.
"""
