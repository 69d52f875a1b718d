"""core_job: the durable record of each job a user waits for (core/jobs.py), so that a flushed or
restarted Redis loses neither its status nor the job itself."""
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.encrypted_field import EncryptedTextField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_idempotency_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Job',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('function', fields.CharField(max_length=100)),
                ('args', EncryptedTextField()),
                ('document', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='queued', max_length=10)),
                ('error', fields.CharField(default='', max_length=40)),
                ('attempts', fields.IntField(default=1)),
                ('heartbeat_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_job', 'app': 'core', 'indexes': [Index(fields=['status', 'heartbeat_at']), Index(fields=['tenant_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
    ]
