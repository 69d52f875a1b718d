"""The crm module's public services: other modules, scripts and jobs call these."""

from modules.crm.services.contacts import find_by_email, primary_email
from modules.crm.services.customers import CustomerData, create_customer, get_customer

__all__ = ["CustomerData", "create_customer", "find_by_email", "get_customer", "primary_email"]
