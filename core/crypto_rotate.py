"""Re-encrypt every encrypted column under the active key (`sellercare crypto rotate`).

Walks every model of every initialised tortoise app, and for those with `EncryptedTextField`s
reads the raw tokens in batches ordered by primary key; each value whose token `needs_rotation`
(another key, or plaintext written before the column was encrypted) is decrypted and encrypted
again under the active key. Each batch is one transaction, and each write is a compare-and-swap
on the token it read (`UPDATE ... WHERE pk = ? AND col = <old token>`): a row changed meanwhile
by the application is left as the application wrote it. So the job is idempotent and
restartable: killed midway, the committed batches stay done and a re-run finishes the rest.

Raw SQL, not the ORM, on purpose: the ORM decrypts on read (the key id would be lost) and always
encrypts on write. No plaintext or key is ever logged or returned; only counts.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.crypto import CryptoError, FieldCipher, cipher, looks_like_token
from core.encrypted_field import encrypted_fields

log = logging.getLogger(__name__)


def _models_with_encrypted_fields() -> list[tuple[str, type[Model], list[str]]]:
    apps = Tortoise.apps
    if not apps:
        raise RuntimeError("tortoise is not initialised: start the Runtime (or Tortoise.init) first")
    found = []
    for app_label, models in apps.items():
        for model in models.values():
            names = encrypted_fields(model)
            if names:
                found.append((f"{app_label}.{model.__name__}", model, names))
    return found


async def _rotate_model(label: str, model: type[Model], names: list[str], fc: FieldCipher,
                        batch_size: int) -> int:
    meta = model._meta
    table = meta.basetable
    pk_column = meta.db_pk_column
    columns = [meta.fields_db_projection[name] for name in names]
    rotated = 0
    last: Any = None
    while True:
        async with in_transaction(meta.default_connection) as conn:
            query = conn.query_class.from_(table).select(table[pk_column], *(table[c] for c in columns))
            if last is not None:
                query = query.where(table[pk_column] > last)
            query = query.orderby(table[pk_column]).limit(batch_size)
            _, rows = await conn.execute_query(*query.get_parameterized_sql())
            if not rows:
                return rotated
            for row in rows:
                pk = row[pk_column]
                changed = False
                for name, column in zip(names, columns, strict=True):
                    old = row[column]
                    if old is None or not fc.needs_rotation(old):
                        continue
                    try:
                        plain = fc.decrypt(old) if looks_like_token(old) else old
                    except CryptoError as exc:
                        raise CryptoError(f"{label} pk={pk!r} field {name!r}: {exc}") from None
                    update = (conn.query_class.update(table).set(table[column], fc.encrypt(plain))
                              .where((table[pk_column] == pk) & (table[column] == old)))
                    count, _ = await conn.execute_query(*update.get_parameterized_sql())
                    changed = changed or bool(count)
                rotated += changed
            last = rows[-1][pk_column]
        log.info("crypto rotate: %s up to pk %r, %d rows re-encrypted", label, last, rotated)
        if len(rows) < batch_size:
            return rotated


async def rotate(batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value not under the active key; rows re-encrypted per "app.Model"
    (every model with an encrypted field is listed, with 0 when nothing was left to do)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    fc = cipher()
    counts: dict[str, int] = {}
    for label, model, names in _models_with_encrypted_fields():
        counts[label] = await _rotate_model(label, model, names, fc, batch_size)
    return counts
