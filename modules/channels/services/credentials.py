"""A kind's credentials: checked against the fields it declares, stored as encrypted JSON.

The audit log and the API only ever see which fields are set, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.channels import ChannelKind, CredentialField
from core.errors import UserFacingError
from core.i18n import N_
from modules.channels.models import ChannelAccount
from modules.channels.services.errors import channels_error

MAX_VALUE = 1000
PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int, "boolean": bool}


def read(account: ChannelAccount) -> dict[str, Any]:
    """The decrypted credentials, for the kind's own code (never for the API, never logged)."""
    value = json.loads(account.credentials) if account.credentials else {}
    return value if isinstance(value, dict) else {}


def set_names(account: ChannelAccount) -> list[str]:
    return sorted(read(account))


def _check(errors: list[UserFacingError], spec: CredentialField, value: Any, path: list[str]) -> None:
    expected = PYTHON_TYPES[spec.type]
    if not isinstance(value, expected) or (spec.type == "integer" and isinstance(value, bool)):
        errors.append(channels_error("INVALID_CREDENTIAL", N_("This credential must be of type {type}."), path,
                                     type=spec.type))
    elif isinstance(value, str) and (len(value) > MAX_VALUE or (spec.required and not value.strip())):
        errors.append(channels_error("INVALID_CREDENTIAL", N_("This credential has 1 to {max} characters."),
                                     path, max=MAX_VALUE))
    elif spec.choices and value not in spec.choices:
        errors.append(channels_error("INVALID_CHOICE", N_("Choose one of: {choices}."), path,
                                     choices=", ".join(spec.choices)))
    elif spec.type == "integer" and isinstance(value, int) and not 0 < value < 65536:
        errors.append(channels_error("INVALID_CREDENTIAL", N_("This credential must be between 1 and 65535."), path))


def merge(errors: list[UserFacingError], kind: ChannelKind, current: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """`given` over `current`: a key set to null removes it; unknown keys, wrong types and missing
    required fields are errors (at credentials.<name>). Defaults fill what is unset."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        errors.append(channels_error("INVALID_CREDENTIALS", N_("Credentials are a JSON object."), ["credentials"]))
        return dict(current)
    specs = {f.name: f for f in kind.credentials}
    result = dict(current)
    for name, value in given.items():
        path = ["credentials", str(name)[:64]]
        if name not in specs:
            errors.append(channels_error("UNKNOWN_CREDENTIAL", N_("Not a credential of this kind of channel: "
                                                                  "expected one of {names}."), path,
                                         names=", ".join(specs)))
        elif value is None:
            result.pop(name, None)
        else:
            _check(errors, specs[name], value, path)
            result[name] = value
    for spec in kind.credentials:
        if spec.name not in result and spec.default is not None:
            result[spec.name] = spec.default
        if spec.required and spec.name not in result:
            errors.append(channels_error("REQUIRED", N_("This credential is required."), ["credentials", spec.name]))
    return result

