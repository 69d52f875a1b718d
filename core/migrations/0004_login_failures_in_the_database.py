from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_outbox_owed_until_handled')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=120)),
                ('count', fields.IntField(default=0)),
                ('window_ends', fields.BigIntField()),
            ],
            options={'table': 'core_login_failure', 'app': 'core', 'pk_attr': 'key'},
            bases=['Model'],
        ),
    ]
