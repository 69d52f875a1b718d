from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index


class WidenOffSqlite(ops.AlterField):
    """A wider CharField (delivery states "delivered", "read"). SQLite never enforces a VARCHAR's
    length, and tortoise's SQLite schema editor rebuilds the table for the change and drops its
    indexes on the way: so the database changes on PostgreSQL only, the model state everywhere."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('channels', '0001_initial'), ('core', '0007_jobs')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Conversation',
            name='key',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Conversation',
            index=Index(fields=['account_id', 'key']),
        ),
        WidenOffSqlite(
            model_name='Delivery',
            name='state',
            field=fields.CharField(default='queued', max_length=16),
        ),
        ops.AddField(
            model_name='Delivery',
            name='delivered_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Delivery',
            name='read_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Delivery',
            name='template',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
