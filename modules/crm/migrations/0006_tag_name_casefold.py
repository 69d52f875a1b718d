from tortoise import migrations
from tortoise.migrations import operations as ops

# A tag name is unique in its tenant whatever its case (services/tags.py): `vip` is the tenant's `VIP`.
# Tags created before that rule may differ only in case: every one but the oldest of such a group gets
# " #<its id>" after its name (cut to fit 50 characters), so nothing is lost or relinked (links and
# segment rules refer to tags by id) and the index below can be built; an admin may merge them by hand.
RENAME_CASE_DUPLICATES = (
    "UPDATE crm_tag SET name = substr(name, 1, 28) || ' #' || CAST(id AS TEXT) "
    "WHERE EXISTS (SELECT 1 FROM crm_tag older WHERE older.tenant_id = crm_tag.tenant_id "
    "AND lower(older.name) = lower(crm_tag.name) AND older.id < crm_tag.id)"
)


class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('crm', '0005_address_default')]

    initial = False

    operations = [
        ops.RunSQL(RENAME_CASE_DUPLICATES, reverse_sql=ops.RunSQL.noop),
        ops.RunSQL(
            "CREATE UNIQUE INDEX crm_tag_tenant_lower_name ON crm_tag (tenant_id, lower(name))",
            reverse_sql="DROP INDEX crm_tag_tenant_lower_name",
        ),
    ]
