from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('crm', '0004_segments_custom_fields'), ('team', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Ticket',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.IntField()),
                ('type', fields.CharField(default='inquiry', max_length=16)),
                ('channel', fields.CharField(default='email', max_length=16)),
                ('subject', fields.CharField(max_length=255)),
                ('language', fields.CharField(default='', max_length=16)),
                ('status', fields.CharField(default='new', max_length=20)),
                ('priority', fields.CharField(default='normal', max_length=8)),
                ('priority_overridden', fields.BooleanField(default=False)),
                ('assignee', fields.ForeignKeyField('core.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_tickets', on_delete=OnDelete.SET_NULL)),
                ('team', fields.ForeignKeyField('team.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('customer', fields.ForeignKeyField('crm.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('order', fields.ForeignKeyField('crm.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_response_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_policy_id', fields.BigIntField(null=True)),
                ('first_response_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_response_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolution_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_sla_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_paused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_breached', fields.BooleanField(default=False)),
                ('escalation_level', fields.IntField(default=0)),
            ],
            options={'table': 'aftersales_ticket', 'app': 'aftersales', 'unique_together': (('tenant', 'number'),), 'indexes': [Index(fields=['tenant_id', 'status', 'updated_at']), Index(fields=['tenant_id', 'customer_id', 'created_at']), Index(fields=['tenant_id', 'assignee_id', 'status']), Index(fields=['next_sla_due'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TicketEvent',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('aftersales.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('core.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='ticket_events', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharField(max_length=40)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'aftersales_ticket_event', 'app': 'aftersales', 'indexes': [Index(fields=['ticket_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Who changed what on a ticket, and when: its own timeline (status, assignee, priority...).'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TicketMessage',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('aftersales.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('author', fields.ForeignKeyField('core.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='ticket_messages', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('language', fields.CharField(default='', max_length=16)),
                ('translated_body', fields.TextField(null=True, unique=False)),
                ('translated_language', fields.CharField(null=True, max_length=16)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'aftersales_ticket_message', 'app': 'aftersales', 'indexes': [Index(fields=['ticket_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TicketOrderLine',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('aftersales.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='order_line_links', on_delete=OnDelete.CASCADE)),
                ('order_line', fields.ForeignKeyField('crm.OrderLine', source_field='order_line_id', db_constraint=True, to_field='id', related_name='ticket_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'aftersales_ticket_order_line', 'app': 'aftersales', 'unique_together': (('ticket', 'order_line'),), 'pk_attr': 'id', 'table_description': 'An order line the ticket is about (a broken item among three).'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='TicketTag',
            fields=[
                ('tenant', fields.ForeignKeyField('core.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('aftersales.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='tags', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=50)),
            ],
            options={'table': 'aftersales_ticket_tag', 'app': 'aftersales', 'unique_together': (('ticket', 'name'),), 'indexes': [Index(fields=['tenant_id', 'name'])], 'pk_attr': 'id'},
            bases=['TenantModel'],
        ),
    ]
