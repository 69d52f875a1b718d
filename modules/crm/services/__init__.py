"""The crm module's public services: other modules, scripts and jobs call these."""

from modules.crm.services.buyers import BuyerOrder, find_buyer_order
from modules.crm.services.contacts import customers_with, find_by_contact, find_by_email, primary_contact, primary_email
from modules.crm.services.customers import CustomerData, create_customer, get_customer
from modules.crm.services.order_numbers import order_numbers_in
from modules.crm.services.orders import find_customer_order
from modules.crm.services.privacy import CUSTOMER_ERASED

__all__ = ["CUSTOMER_ERASED", "BuyerOrder", "CustomerData", "create_customer", "customers_with", "find_buyer_order",
           "find_by_contact", "find_by_email", "find_customer_order", "get_customer", "order_numbers_in",
           "primary_contact", "primary_email"]
