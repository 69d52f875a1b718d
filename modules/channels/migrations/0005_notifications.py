from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# SQLite cannot make a column nullable in place: tortoise's schema editor rebuilds channels_delivery
# for the two AlterFields and drops its indexes on the way (0003's WidenOffSqlite has the story).
# They are made again here under the names tortoise gave them (on PostgreSQL they are still there:
# IF NOT EXISTS), with the unique index of a notification's one delivery, which AddField of a
# unique foreign key creates on neither database.
RESTORE_INDEXES = [
    'CREATE INDEX IF NOT EXISTS "idx_channels_de_tenant__1a5504" ON "channels_delivery" ("tenant_id")',
    'CREATE INDEX IF NOT EXISTS "idx_channels_de_tenant__1d1203" ON "channels_delivery" ("tenant_id", "provider_id")',
    'CREATE INDEX IF NOT EXISTS "idx_channels_de_ticket__aea8fd" ON "channels_delivery" ("ticket_id")',
    'CREATE INDEX IF NOT EXISTS "idx_channels_de_account_b9b6a4" ON "channels_delivery" ("account_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_channels_de_notific_delivery" ON "channels_delivery" ("notification_id")',
]


class Migration(migrations.Migration):
    dependencies = [('channels', '0004_channel_accept_from')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NotificationTemplate',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('category', fields.CharField(default='transactional', max_length=32)),
                ('variants', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'channels_notification_template', 'app': 'channels', 'unique_together': (('tenant', 'name'),), 'pk_attr': 'id', 'table_description': '`variants` is one text per language, [{"language", "subject", "body"}], each checked on save'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer_id', fields.BigIntField()),
                ('template', fields.ForeignKeyField('channels.NotificationTemplate', source_field='template_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('category', fields.CharField(max_length=32)),
                ('language', fields.CharField(max_length=35)),
                ('subject', fields.CharField(default='', max_length=255)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'channels_notification', 'app': 'channels', 'indexes': [Index(fields=['tenant_id', 'customer_id', 'id']), Index(fields=['template_id'])], 'pk_attr': 'id', 'table_description': 'One message rendered for one customer, in the language its variant was chosen in, as sent.'},
            bases=['TenantModel'],
        ),
        ops.AlterField(
            model_name='Delivery',
            name='message_id',
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='ticket_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Delivery',
            name='notification',
            field=fields.ForeignKeyField('channels.Notification', source_field='notification_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE),
        ),
        *[ops.RunSQL(sql, reverse_sql=ops.RunSQL.noop) for sql in RESTORE_INDEXES],
    ]
