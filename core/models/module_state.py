"""Which modules are installed in this database, at which version (global, like Odoo's ir_module)."""

from tortoise import fields
from tortoise.models import Model


class ModuleState(Model):
    name = fields.CharField(max_length=64, primary_key=True)
    version = fields.CharField(max_length=32)
    state = fields.CharField(max_length=16, default="installed")
    installed_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_module"
