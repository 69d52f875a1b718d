"""The crm module's tables (all tenant-owned, all prefixed crm_)."""

from modules.crm.models.channel import CustomerIdentity, SalesChannel
from modules.crm.models.contact import Address, CustomerContact
from modules.crm.models.custom_field import CustomField
from modules.crm.models.customer import Customer
from modules.crm.models.merge import CustomerMerge
from modules.crm.models.note import Note
from modules.crm.models.order import Order, OrderLine, Product
from modules.crm.models.score import CustomerScore
from modules.crm.models.segment import Segment
from modules.crm.models.tag import CustomerTag, Tag

__all__ = ["Address", "CustomField", "Customer", "CustomerContact", "CustomerIdentity", "CustomerMerge",
           "CustomerScore", "CustomerTag", "Note", "Order", "OrderLine", "Product", "SalesChannel", "Segment", "Tag"]
