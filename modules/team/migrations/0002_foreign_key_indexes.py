"""An index on every foreign key (tests/test_indexes.py): loaders, batch deletes and cascades find
children by their parent without scanning the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0004_login_failures_in_the_database'), ('team', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='TeamMember',
            index=Index(fields=['user_id']),
        ),
    ]
