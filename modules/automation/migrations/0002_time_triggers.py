from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('automation', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DueFiring',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('automation.Rule', source_field='rule_id', db_constraint=True, to_field='id', related_name='due_firings', on_delete=OnDelete.CASCADE)),
                ('cause', fields.CharField(max_length=16)),
                ('cause_key', fields.CharField(max_length=100)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('event_id', fields.UUIDField(null=True)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('depth', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'automation_due_firing', 'app': 'automation', 'unique_together': (('rule', 'cause_key'),), 'indexes': [Index(fields=['due_at', 'id'])], 'pk_attr': 'id', 'table_description': '`cause_key` is the firing\'s cause: "event:<id>:+4320m" (the event and the offset) or'},
            bases=['TenantModel'],
        ),
        ops.AlterModelOptions(
            name='Rule',
            options={'table': 'automation_rule', 'app': 'automation', 'indexes': [Index(fields=['tenant_id', 'trigger', 'position']), Index(fields=['tenant_id', 'position'])], 'pk_attr': 'id', 'table_description': 'Rules of one trigger run by position (then id), the enabled ones only. With `offset_minutes`'},
        ),
        ops.AddField(
            model_name='Rule',
            name='offset_from',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='Rule',
            name='offset_minutes',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Rule',
            name='schedule',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
