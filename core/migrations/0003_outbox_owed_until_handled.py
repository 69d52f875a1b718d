from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0002_invitations_membership_profile')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxEvent',
            name='next_attempt_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='handled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='last_error',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='failed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='OutboxEvent',
            index=Index(fields=['handled_at', 'failed_at', 'next_attempt_at']),
        ),
        # Events relayed before this change were handed to arq and are taken as handled (their
        # handlers' receipts say which ran); sending them all again would only be skipped anyway.
        ops.RunSQL("UPDATE core_outbox SET handled_at = relayed_at WHERE relayed_at IS NOT NULL",
                   reverse_sql="SELECT 1"),
    ]
