"""What the automation module declares itself (core.automation): the schedule trigger, whose
firings are the slots of a rule's schedule (services/schedules.py), about the tenant as a whole."""

from core.automation import AutomationContribution, Field, Trigger
from core.i18n import N_
from modules.automation.services.timing import SCHEDULE

contribution = AutomationContribution(triggers=[
    Trigger(SCHEDULE, N_("On a schedule"), (Field("slot", "datetime", N_("Slot")),), {"tenant": "tenant_id"}),
])
