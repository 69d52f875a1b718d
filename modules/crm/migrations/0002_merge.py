from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('crm', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerMerge',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target', fields.ForeignKeyField('crm.Customer', source_field='target_id', db_constraint=True, to_field='id', related_name='merges', on_delete=OnDelete.CASCADE)),
                ('source_ids', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('moved', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('undone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('undone_by_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'crm_merge', 'app': 'crm', 'indexes': [Index(fields=['target_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.AddField(
            model_name='Customer',
            name='merged_into',
            field=fields.ForeignKeyField('crm.Customer', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name='merged_sources', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['merged_into_id']),
        ),
    ]
