from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.encrypted_field import EncryptedTextField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_foreign_key_indexes')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ChannelAccount',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.UUIDField(unique=True)),
                ('kind', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=100)),
                ('address', fields.CharField(max_length=254)),
                ('reply_to', fields.CharField(null=True, max_length=254)),
                ('credentials', EncryptedTextField(null=True)),
                ('inbound_token_hash', fields.CharField(max_length=64)),
                ('enabled', fields.BooleanField(default=True)),
                ('last_ok_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'channels_account', 'app': 'channels', 'unique_together': (('tenant', 'name'),), 'indexes': [Index(fields=['tenant_id', 'kind', 'enabled'])], 'pk_attr': 'id', 'table_description': 'Credentials are JSON encrypted at rest and never returned. The inbound token is kept as its'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket_id', fields.BigIntField(unique=True)),
                ('account', fields.ForeignKeyField('channels.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.CASCADE)),
                ('address', EncryptedTextField()),
                ('name', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'channels_conversation', 'app': 'channels', 'indexes': [Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'Written when a message creates a ticket: replies go back through the same account to the'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.BigIntField(unique=True)),
                ('ticket_id', fields.BigIntField()),
                ('account', fields.ForeignKeyField('channels.ChannelAccount', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('provider_id', fields.CharField(max_length=255)),
                ('in_reply_to', fields.CharField(null=True, max_length=255)),
                ('references', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='queued', max_length=8)),
                ('response', fields.CharField(null=True, max_length=255)),
                ('error', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channels_delivery', 'app': 'channels', 'indexes': [Index(fields=['tenant_id', 'provider_id']), Index(fields=['ticket_id']), Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': '`provider_id` (e-mail: Message-ID) is chosen and committed before the first attempt, so'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='InboundMessage',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('channels.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='inbound_messages', on_delete=OnDelete.CASCADE)),
                ('content', EncryptedTextField()),
                ('size', fields.IntField()),
                ('provider_id', fields.CharField(null=True, max_length=255)),
                ('status', fields.CharField(default='received', max_length=16)),
                ('error', fields.CharField(null=True, max_length=64)),
                ('ticket_id', fields.BigIntField(null=True)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'channels_inbound', 'app': 'channels', 'unique_together': (('account', 'provider_id'),), 'indexes': [Index(fields=['tenant_id', 'provider_id']), Index(fields=['tenant_id', 'status', 'received_at']), Index(fields=['ticket_id'])], 'pk_attr': 'id', 'table_description': "`content` is the provider's bytes (base64, encrypted: a mail is contact data). `provider_id`"},
            bases=['TenantModel'],
        ),
    ]
