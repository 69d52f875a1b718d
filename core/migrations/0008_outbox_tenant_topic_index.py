from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0007_jobs')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='OutboxEvent',
            index=Index(fields=['tenant_id', 'topic', 'created_at']),
        ),
    ]
