"""The knowledge base's full-text index, which tortoise's models cannot declare: a tsvector column
with a GIN index on PostgreSQL, an FTS5 table on SQLite (services/kb_search.py writes and reads
both). Hand-written: `scripts.makemigrations` regenerates 0001 only."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

FORWARD = {
    "postgres": [
        "ALTER TABLE aftersales_kb_article_translation ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector",
        "CREATE INDEX aftersales_kb_article_translation_search ON aftersales_kb_article_translation USING GIN (search)",
    ],
    "sqlite": [
        "CREATE VIRTUAL TABLE aftersales_kb_fts USING fts5("
        "title, body, tenant_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')",
    ],
}
BACKWARD = {
    "postgres": [
        "DROP INDEX IF EXISTS aftersales_kb_article_translation_search",
        "ALTER TABLE aftersales_kb_article_translation DROP COLUMN IF EXISTS search",
    ],
    "sqlite": ["DROP TABLE IF EXISTS aftersales_kb_fts"],
}


def _runner(statements: dict[str, list[str]]) -> Any:
    async def run(apps: Any, schema_editor: BaseSchemaEditor) -> None:
        dialect = schema_editor.client.capabilities.dialect
        if dialect not in statements:
            raise RuntimeError(f"the knowledge base search has no index for the {dialect} database")
        for statement in statements[dialect]:
            await schema_editor._run_sql(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("aftersales", "0001_initial")]

    initial = False

    operations = [ops.RunPython(_runner(FORWARD), _runner(BACKWARD))]
