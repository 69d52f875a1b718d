"""The crm module's public services: other modules, scripts and jobs call these."""

from modules.crm.services.buyers import BuyerOrder, find_buyer_order
from modules.crm.services.channels import get_channel, read_credentials
from modules.crm.services.contacts import customers_with, find_by_contact, find_by_email, primary_contact, primary_email
from modules.crm.services.customers import CustomerData, create_customer, get_customer
from modules.crm.services.order_numbers import order_numbers_in, tenant_formats
from modules.crm.services.orders import find_customer_order
from modules.crm.services.privacy import CUSTOMER_ERASED
from modules.crm.services.upserts import BatchWriter, Guard, UpsertResult, upsert_records

__all__ = ["CUSTOMER_ERASED", "BatchWriter", "BuyerOrder", "CustomerData", "Guard", "UpsertResult", "create_customer",
           "customers_with", "find_buyer_order", "find_by_contact", "find_by_email", "find_customer_order",
           "get_channel", "get_customer", "order_numbers_in", "primary_contact", "primary_email", "read_credentials",
           "tenant_formats", "upsert_records"]
