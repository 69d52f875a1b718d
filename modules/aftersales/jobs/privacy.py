"""aftersales background work for data-subject erasure: crm's event reaches tickets and returns."""

from core.registry import WorkerContribution
from modules.aftersales.services.privacy import erase_customer_tickets
from modules.crm.services import CUSTOMER_ERASED

worker = WorkerContribution(event_handlers={CUSTOMER_ERASED: [erase_customer_tickets]})
