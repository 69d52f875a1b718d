"""Files built for download (XLSX exports of any module) and their signed, expiring links.

A file lives at `<var_dir>/exports/<tenant id>/<export id>.xlsx`, written as `.part` and renamed when
complete, so a file that exists is finished; API and worker processes must share var_dir. A link's
token is `<export id>.<tenant id>.<expiry>.<signature>` (HMAC-SHA256 under a key derived from
SECRET_KEY): the token is the credential, and the tenant and file come from it only, so a file of
another tenant cannot be named. `GET /exports/{token}` (schema/app.py) serves it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import time
from pathlib import Path

from core.i18n import N_
from core.settings import Settings

EXPORT_TTL = 24 * 3600  # seconds a finished file is kept
# A `.part` file or a `.tmp-<id>` folder (the writer's scratch files, decrypted personal data in
# them) left by a killed job: gone once no job could still be writing it.
PARTIAL_TTL = 6 * 3600
DOWNLOAD_TTL = 15 * 60  # seconds a download link is valid
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINK_INVALID = N_("This download link is invalid or has expired: ask for a new one.")
FILE_GONE = N_("This export no longer exists.")
_EXPORT_ID = re.compile(r"[0-9a-f]{32}")
_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9]{1,19})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


def export_dir(settings: Settings, tenant_id: int) -> Path:
    return Path(settings.var_dir) / "exports" / str(int(tenant_id))


def export_path(settings: Settings, tenant_id: int, export_id: str) -> Path:
    if not _EXPORT_ID.fullmatch(export_id):
        raise ValueError("not an export id")
    return export_dir(settings, tenant_id) / f"{export_id}.xlsx"


def scratch_dir(settings: Settings, tenant_id: int, export_id: str) -> Path:
    """Where an export's writer keeps its temporary files; removed when the job ends, or by the purge."""
    return export_dir(settings, tenant_id) / f".tmp-{export_id}"


def purge_tree(root: Path, older_than: float = EXPORT_TTL, partial_older_than: float = PARTIAL_TTL,
               now: float | None = None) -> int:
    """Under `root/<tenant id>/`: files older than `older_than` seconds, and leftovers of killed jobs
    (`*.part`, `.tmp-*` folders) older than `partial_older_than`. Whatever their names: a file
    nothing can link to any more is only a liability."""
    if not root.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for path in root.glob("*/*"):
        partial = path.name.endswith(".part") or path.name.startswith(".tmp-")
        try:
            if path.stat().st_mtime >= now - (partial_older_than if partial else older_than):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def purge_files(settings: Settings, older_than: float = EXPORT_TTL) -> int:
    """Delete export files older than `older_than` seconds, and what killed exports left behind."""
    return purge_tree(Path(settings.var_dir) / "exports", older_than)


# --- signed download URLs ---------------------------------------------------------------------

def _signing_key(settings: Settings) -> bytes:
    # A key of its own (not SECRET_KEY itself), so a signature made here means nothing elsewhere.
    return hmac.new(settings.secret_key.encode("utf-8"), b"sellercare:export-download", hashlib.sha256).digest()


def _signature(settings: Settings, export_id: str, tenant_id: int, expires: int) -> str:
    mac = hmac.new(_signing_key(settings), f"{export_id}.{tenant_id}.{expires}".encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def sign_download(settings: Settings, tenant_id: int, export_id: str, expires: int | None = None) -> tuple[str, int]:
    """(token, expiry as a Unix time); `expires` defaults to now + DOWNLOAD_TTL (tests pass a past one)."""
    if not _EXPORT_ID.fullmatch(export_id):
        raise ValueError("not an export id")
    expires = int(time.time()) + DOWNLOAD_TTL if expires is None else int(expires)
    return f"{export_id}.{int(tenant_id)}.{expires}.{_signature(settings, export_id, tenant_id, expires)}", expires


def verify_download(settings: Settings, token: str, now: float | None = None) -> tuple[int, str] | None:
    """(tenant id, export id) of a genuine, unexpired token; None otherwise."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    export_id, tenant, expires = match.group(1), int(match.group(2)), int(match.group(3))
    if not hmac.compare_digest(match.group(4), _signature(settings, export_id, tenant, expires)):
        return None
    if expires <= (time.time() if now is None else now):
        return None
    return tenant, export_id


def download_file(settings: Settings, token: str) -> tuple[Path | None, bool]:
    """(the finished file, or None; whether the token was valid). The tenant and export come
    from the signed token only, so a file of another tenant cannot be named."""
    verified = verify_download(settings, token)
    if verified is None:
        return None, False
    path = export_path(settings, *verified)
    return (path if path.is_file() else None), True


