"""An index on every foreign key (tests/test_indexes.py): loaders, batch deletes and cascades find
children by their parent without scanning the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0004_login_failures_in_the_database')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ApiKey',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Invitation',
            index=Index(fields=['invited_by_id']),
        ),
        ops.AddIndex(
            model_name='Invitation',
            index=Index(fields=['accepted_by_id']),
        ),
        ops.AddIndex(
            model_name='RefreshToken',
            index=Index(fields=['tenant_id', 'user_id']),
        ),
    ]
