"""The crm module's public services: other modules, scripts and jobs call these."""

from modules.crm.services.contacts import find_by_contact, find_by_email, primary_contact, primary_email
from modules.crm.services.customers import CustomerData, create_customer, get_customer
from modules.crm.services.orders import find_customer_order

__all__ = ["CustomerData", "create_customer", "find_by_contact", "find_by_email", "find_customer_order",
           "get_customer", "primary_contact", "primary_email"]
