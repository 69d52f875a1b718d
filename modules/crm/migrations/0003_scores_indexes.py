from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('crm', '0002_merge')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerScore',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('crm.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='score', on_delete=OnDelete.CASCADE)),
                ('recency', fields.SmallIntField()),
                ('frequency', fields.SmallIntField()),
                ('monetary', fields.SmallIntField()),
                ('order_count', fields.IntField()),
                ('last_order_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'crm_customer_score', 'app': 'crm', 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['tenant_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['tenant_id', 'display_name', 'id']),
        ),
        ops.AddIndex(
            model_name='CustomerContact',
            index=Index(fields=['tenant_id', 'value_hash']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['tenant_id', 'customer_id', 'placed_at']),
        ),
    ]
