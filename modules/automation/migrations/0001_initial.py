from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0008_outbox_tenant_topic_index')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Rule',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trigger', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=500)),
                ('conditions', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('position', fields.IntField(default=0)),
                ('enabled', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'automation_rule', 'app': 'automation', 'indexes': [Index(fields=['tenant_id', 'trigger', 'position']), Index(fields=['tenant_id', 'position'])], 'pk_attr': 'id', 'table_description': 'Rules of one trigger run by position (then id), the enabled ones only.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='RuleFiring',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('automation.Rule', source_field='rule_id', db_constraint=True, to_field='id', related_name='firings', on_delete=OnDelete.CASCADE)),
                ('cause', fields.CharField(default='event', max_length=16)),
                ('cause_key', fields.CharField(max_length=100)),
                ('event_id', fields.UUIDField(null=True)),
                ('result', fields.CharField(max_length=16)),
                ('error', fields.CharField(default='', max_length=100)),
                ('actions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('depth', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'automation_rule_firing', 'app': 'automation', 'unique_together': (('rule', 'cause_key'),), 'indexes': [Index(fields=['rule_id', 'id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
    ]
