"""The knowledge base: categories, articles, and one translation per language of each article.

An article is the logical "how do I return an item" page; what agents and customers read is one of
its translations. Publishing is per translation, so a German draft never hides the English page.
The full-text index lives beside these tables and is written by services.kb.search (a tsvector
column on PostgreSQL, an FTS5 table on SQLite: migrations/0002_kb_search.py).
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel


class KbCategory(TenantModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    position = fields.IntField(default=0)  # order among its siblings
    parent: fields.ForeignKeyNullableRelation["KbCategory"] = fields.ForeignKeyField(
        "aftersales.KbCategory", related_name="children", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    parent_id: int | None

    class Meta:
        table = "aftersales_kb_category"
        indexes = (("tenant_id", "parent_id", "position"),)


class KbArticle(TenantModel):
    id = fields.BigIntField(primary_key=True)
    category: fields.ForeignKeyNullableRelation[KbCategory] = fields.ForeignKeyField(
        "aftersales.KbCategory", related_name="articles", null=True, on_delete=fields.SET_NULL)
    tags: Any = fields.JSONField(default=list)  # ["returns", "shipping"]: lower case, unique
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)  # any change, to a translation too
    category_id: int | None

    class Meta:
        table = "aftersales_kb_article"
        indexes = (("tenant_id", "updated_at"), ("tenant_id", "category_id"))


class KbArticleTranslation(TenantModel):
    id = fields.BigIntField(primary_key=True)
    article: fields.ForeignKeyRelation[KbArticle] = fields.ForeignKeyField(
        "aftersales.KbArticle", related_name="translations", on_delete=fields.CASCADE)
    language = fields.CharField(max_length=16)  # BCP 47 primary tag: en, de, zh
    title = fields.CharField(max_length=255)
    body = fields.TextField()  # Markdown or plain text
    published = fields.BooleanField(default=False)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    article_id: int

    class Meta:
        table = "aftersales_kb_article_translation"
        unique_together = (("article", "language"),)
        indexes = (("tenant_id", "language", "published"),)
