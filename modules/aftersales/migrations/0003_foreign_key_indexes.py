"""An index on every foreign key (tests/test_indexes.py): loaders, batch deletes and cascades find
children by their parent without scanning the table."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('aftersales', '0002_kb_search'), ('core', '0004_login_failures_in_the_database'), ('crm', '0006_tag_name_casefold'), ('team', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='EscalationRecord',
            index=Index(fields=['rule_id']),
        ),
        ops.AddIndex(
            model_name='EscalationRule',
            index=Index(fields=['team_id']),
        ),
        ops.AddIndex(
            model_name='EscalationRule',
            index=Index(fields=['reassign_team_id']),
        ),
        ops.AddIndex(
            model_name='EscalationRule',
            index=Index(fields=['reassign_user_id']),
        ),
        ops.AddIndex(
            model_name='ExchangeLine',
            index=Index(fields=['return_line_id']),
        ),
        ops.AddIndex(
            model_name='ExchangeLine',
            index=Index(fields=['product_id']),
        ),
        ops.AddIndex(
            model_name='Refund',
            index=Index(fields=['created_by_id']),
        ),
        ops.AddIndex(
            model_name='RepairEvent',
            index=Index(fields=['actor_id']),
        ),
        ops.AddIndex(
            model_name='ReturnRequest',
            index=Index(fields=['created_by_id']),
        ),
        ops.AddIndex(
            model_name='RoutingRule',
            index=Index(fields=['team_id']),
        ),
        ops.AddIndex(
            model_name='Ticket',
            index=Index(fields=['order_id']),
        ),
        ops.AddIndex(
            model_name='Ticket',
            index=Index(fields=['team_id']),
        ),
        ops.AddIndex(
            model_name='TicketEvent',
            index=Index(fields=['actor_id']),
        ),
        ops.AddIndex(
            model_name='TicketMessage',
            index=Index(fields=['author_id']),
        ),
        ops.AddIndex(
            model_name='TicketOrderLine',
            index=Index(fields=['order_line_id']),
        ),
    ]
