from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0008_outbox_tenant_topic_index'), ('crm', '0007_foreign_key_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SalesChannel',
            name='order_number_format',
            field=fields.CharField(default='', db_default='', max_length=40),
        ),
    ]
