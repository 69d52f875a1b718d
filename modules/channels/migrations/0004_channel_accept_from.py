from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('channels', '0003_whatsapp'), ('core', '0008_outbox_tenant_topic_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ChannelAccount',
            name='accept_from',
            field=fields.CharField(default='anyone', db_default='anyone', max_length=16),
        ),
    ]
