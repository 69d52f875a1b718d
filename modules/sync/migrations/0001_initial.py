from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.encrypted_field import EncryptedTextField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_invitations_membership_profile'), ('core', '0003_outbox_owed_until_handled'), ('core', '0004_login_failures_in_the_database'), ('core', '0005_foreign_key_indexes'), ('core', '0006_idempotency_keys'), ('core', '0007_jobs'), ('crm', '0007_foreign_key_indexes')]

    initial = True

    operations = [
        ops.CreateModel(
            name='SyncRun',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job_id', fields.CharField(unique=True, max_length=32)),
                ('channel', fields.ForeignKeyField('crm.SalesChannel', source_field='channel_id', db_constraint=True, to_field='id', related_name='sync_runs', on_delete=OnDelete.CASCADE)),
                ('resource', fields.CharField(max_length=32)),
                ('mode', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='queued', max_length=16)),
                ('since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pages', fields.IntField(default=0)),
                ('records', fields.IntField(default=0)),
                ('counts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sync_run', 'app': 'sync', 'indexes': [Index(fields=['channel_id']), Index(fields=['tenant_id', 'channel_id', 'id'])], 'pk_attr': 'id', 'table_description': "Kept after its core.jobs record is purged: the channel's sync history. `counts` holds the"},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='SyncedRecord',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel_id', fields.BigIntField()),
                ('resource', fields.CharField(max_length=32)),
                ('external_id', fields.CharField(max_length=128)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sync_record', 'app': 'sync', 'unique_together': (('tenant', 'channel_id', 'resource', 'external_id'),), 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Watermark',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.ForeignKeyField('crm.SalesChannel', source_field='channel_id', db_constraint=True, to_field='id', related_name='sync_watermarks', on_delete=OnDelete.CASCADE)),
                ('resource', fields.CharField(max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('saved_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sync_watermark', 'app': 'sync', 'unique_together': (('tenant', 'channel', 'resource'),), 'indexes': [Index(fields=['channel_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.UUIDField(unique=True)),
                ('channel', fields.ForeignKeyField('crm.SalesChannel', source_field='channel_id', db_constraint=True, to_field='id', related_name='sync_endpoint', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sync_endpoint', 'app': 'sync', 'unique_together': (('tenant', 'channel'),), 'indexes': [Index(fields=['channel_id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.ForeignKeyField('crm.SalesChannel', source_field='channel_id', db_constraint=True, to_field='id', related_name='sync_events', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.CharField(max_length=128)),
                ('topic', fields.CharField(max_length=64)),
                ('payload', EncryptedTextField()),
                ('status', fields.CharField(default='received', max_length=16)),
                ('error', fields.CharField(default='', max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sync_event', 'app': 'sync', 'unique_together': (('channel', 'event_id'),), 'indexes': [Index(fields=['status', 'received_at'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
    ]
