from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(max_length=254)),
                ('name', fields.CharField(default='', max_length=200)),
                ('role_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('invited_by', fields.ForeignKeyField('core.User', source_field='invited_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_by', fields.ForeignKeyField('core.User', source_field='accepted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_invitation', 'app': 'core', 'indexes': [Index(fields=['tenant_id', 'email']), Index(fields=['tenant_id', 'id'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.AddField(
            model_name='Membership',
            name='last_login_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Membership',
            name='name',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AddField(
            model_name='Membership',
            name='revoked_before',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['tenant_id', 'user_id']),
        ),
        # What a tenant showed of a person (name, last login) becomes that membership's own.
        ops.RunSQL(
            "UPDATE core_membership SET name = (SELECT u.name FROM core_user u WHERE u.id = core_membership.user_id), "
            "last_login_at = (SELECT u.last_login_at FROM core_user u WHERE u.id = core_membership.user_id)",
            reverse_sql="SELECT 1",
        ),
        ops.RemoveField(model_name='User', name='last_login_at'),
    ]
