"""`EncryptedTextField`: a tortoise text column holding `core.crypto` tokens, plaintext in Python.

    from core.encrypted_field import EncryptedTextField

    class Customer(TenantModel):
        email = EncryptedTextField(null=True)
        email_hash = fields.CharField(max_length=64, null=True, db_index=True)  # blind index

What tortoise 1.1 does with it (checked against tortoise/models.py, queryset.py, backends/):
- Writes encrypt under the active key: `save()`, `create()`, `bulk_create()`, `bulk_update()` and
  `Model.filter(...).update(field=value)` all call `to_db_value`. Not through `to_db_value`, so
  written as given: an expression in `update()` (`update(email=F("other"))`, `Upper(...)`) acts on
  tokens (copying another encrypted column copies its token, which still decrypts).
- Reads decrypt: model instances, `values()`, `values_list()` (flat too) and `only()` call
  `to_python_value` on this field.
- Look-ups cannot work on ciphertext (random nonce per value), so every look-up except `__isnull`
  raises `EncryptedFieldLookupError` (`email=`, `__in`, `__contains`, `__iexact`, ...; also
  `get()`, `get_or_create()`, `exclude()` and Q objects with those): look up through the blind-index
  column (`email_hash=cipher().blind_index(normalised)`). Ordering by the column orders tokens,
  which means nothing; order by something else.
- A value given to the constructor or `update_from_dict()` is taken as plaintext even when it
  looks like a token: otherwise a token copied out of a leaked backup and submitted as someone's
  address would come back decrypted (a decryption oracle). Only values read from the database are
  decrypted.
- The column is TEXT and the migration writer imports this class by path
  (`from core.encrypted_field import EncryptedTextField`); keep this module where it is.
  `primary_key`, `unique`, `db_index` and `db_default` are refused (they would act on tokens).
- Rotation (re-encrypting under a new active key) is `core.crypto_rotate.rotate()`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import ConfigurationError, FieldError
from tortoise.fields import TextField
from tortoise.models import Model

from core.crypto import cipher, looks_like_token

if TYPE_CHECKING:
    from pypika_tortoise.terms import Criterion, Term

__all__ = ["EncryptedFieldLookupError", "EncryptedTextField", "encrypted_fields"]

# The lookups that still mean something on ciphertext.
ALLOWED_LOOKUPS = frozenset({"isnull", "not_isnull"})
# Model.__init__ and update_from_dict hand the caller's values to to_python_value from here.
_USER_INPUT_CODE = Model._set_kwargs.__code__


class EncryptedFieldLookupError(FieldError):
    """A filter on an encrypted column: it would compare against ciphertext and match nothing."""


def _lookup_refused(model_name: str, field_name: str, lookup: str) -> EncryptedFieldLookupError:
    return EncryptedFieldLookupError(
        f"{model_name}.{field_name} is encrypted and cannot be filtered with {lookup!r} (only "
        f"{field_name}__isnull works): look it up through its blind-index column, e.g. "
        f"<field>_hash=core.crypto.cipher().blind_index(<normalised value>)")


class EncryptedTextField(TextField):
    """Text encrypted at rest with `core.crypto.cipher()`; None stays NULL."""

    def __init__(self, **kwargs: Any) -> None:
        for option in ("primary_key", "pk", "unique", "db_index", "index"):
            if kwargs.get(option):
                raise ConfigurationError(f"EncryptedTextField does not support {option}=True: it would "
                                         "act on ciphertext (index the blind-index column instead)")
        if "db_default" in kwargs:
            raise ConfigurationError("EncryptedTextField does not support db_default (a database "
                                     "default would be stored unencrypted); use default=")
        super().__init__(**kwargs)

    # tortoise sets `field.model` once the model class exists (ModelMeta.__new__); that is the
    # moment to replace this field's lookups in the class's filter table.
    @property
    def model(self) -> Any:
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value: Any) -> None:
        self.__dict__["_model"] = value
        if value is not None:
            self._refuse_lookups(value)

    def _refuse_lookups(self, model: Any) -> None:
        filters = getattr(getattr(model, "_meta", None), "_filters", None)
        name = self.model_field_name
        if not isinstance(filters, dict) or not name:
            return
        model_name = getattr(model, "__name__", "model")
        for key, info in list(filters.items()):
            if info.get("field") != name or "table" in info:
                continue
            if key.removeprefix(name).removeprefix("__") in ALLOWED_LOOKUPS:
                continue

            def refuse(term: Term, value: Any, _key: str = key) -> Criterion:
                raise _lookup_refused(model_name, name, _key)

            filters[key] = {**info, "operator": refuse, "value_encoder": _as_given}

    def to_db_value(self, value: Any, instance: type[Model] | Model | None) -> Any:
        if isinstance(instance, type):
            # Called with the model class: a filter value (tortoise's default encoder).
            raise _lookup_refused(instance.__name__, self.model_field_name, self.model_field_name)
        if value is None:
            return None
        if not isinstance(value, str):
            value = str(value)
        self.validate(value)
        return cipher().encrypt(value)

    def to_python_value(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            value = str(value)
        if looks_like_token(value) and sys._getframe(1).f_code is not _USER_INPUT_CODE:
            return cipher().decrypt(value)
        return value


def _as_given(value: Any, instance: Any, field: Any) -> Any:
    return value


def encrypted_fields(model: type[Model]) -> list[str]:
    """The names of a model's encrypted fields, in declaration order."""
    return [name for name, f in model._meta.fields_map.items() if isinstance(f, EncryptedTextField)]
