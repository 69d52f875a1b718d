"""The crm module's GraphQL."""
