from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('channels', '0005_notifications'), ('core', '0007_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MailboxState',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('channels.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='mailbox_state', on_delete=OnDelete.CASCADE)),
                ('folder', fields.CharField(default='INBOX', max_length=255)),
                ('uidvalidity', fields.BigIntField(null=True)),
                ('last_uid', fields.BigIntField(default=0)),
                ('polled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('poll_owner', fields.CharField(null=True, max_length=64)),
                ('poll_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('listen_owner', fields.CharField(null=True, max_length=64)),
                ('listen_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channels_mailbox_state', 'app': 'channels', 'pk_attr': 'id', 'table_description': '`last_uid` is advanced only once the message of that UID is committed (channels_inbound), and'},
            bases=['TenantModel'],
        ),
    ]
