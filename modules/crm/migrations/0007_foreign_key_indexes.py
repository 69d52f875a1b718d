"""An index on every foreign key (tests/test_indexes.py): loaders, batch deletes and cascades find
children by their parent without scanning the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0004_login_failures_in_the_database'), ('crm', '0006_tag_name_casefold')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Address',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='CustomerContact',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='CustomerIdentity',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='CustomerTag',
            index=Index(fields=['tag_id']),
        ),
        ops.AddIndex(
            model_name='Note',
            index=Index(fields=['tenant_id', 'customer_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='OrderLine',
            index=Index(fields=['order_id']),
        ),
        ops.AddIndex(
            model_name='OrderLine',
            index=Index(fields=['product_id']),
        ),
    ]
