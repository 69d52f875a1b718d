from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('crm', '0004_segments_custom_fields')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Address',
            name='is_default',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # Addresses already there: the first of each kind becomes the customer's default, as for new ones.
        ops.RunSQL(
            "UPDATE crm_address SET is_default = TRUE WHERE id IN "
            "(SELECT MIN(id) FROM crm_address GROUP BY customer_id, kind)",
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
