"""The crm module's tables (all tenant-owned, all prefixed crm_)."""

from modules.crm.models.channel import CustomerIdentity, SalesChannel
from modules.crm.models.contact import Address, CustomerContact
from modules.crm.models.customer import Customer
from modules.crm.models.merge import CustomerMerge
from modules.crm.models.note import Note
from modules.crm.models.order import Order, OrderLine, Product
from modules.crm.models.score import CustomerScore
from modules.crm.models.tag import CustomerTag, Tag

__all__ = ["Address", "Customer", "CustomerContact", "CustomerIdentity", "CustomerMerge", "CustomerScore",
           "CustomerTag", "Note", "Order", "OrderLine", "Product", "SalesChannel", "Tag"]
