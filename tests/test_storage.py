"""core.storage: the local directory and the S3-compatible bucket keep the same promises (whole
files, keys of the store's own making, a missing file is None), and attachments that come in by
mail are served from a bucket as from a directory. The bucket is a real S3 server the tests start
(moto's)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from core import storage
from core.settings import Settings, SettingsError
from core.storage.local import LocalStore
from core.storage.s3 import S3Store
from modules.aftersales.models import TicketMessage
from modules.channels.models import InboundMessage
from tests.conftest import Api, TenantFixture
from tests.modules.test_channels_email import PNG, Mailbox, mail, make_channel, post, shop, smtp  # noqa: F401

BUCKET = "sellercare-files"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    before = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",  # noqa: S105
                      AWS_DEFAULT_REGION="eu-central-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


async def open_bucket(endpoint: str) -> S3Store:
    store = S3Store(BUCKET, "tenant-files", endpoint)
    client = await store.client()
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        await client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return store


@pytest.fixture
async def bucket(s3_endpoint: str) -> AsyncIterator[S3Store]:
    store = await open_bucket(s3_endpoint)
    yield store
    await store.close()


@pytest.fixture(params=["directory", "bucket"])
async def a_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "directory":
        yield LocalStore(tmp_path / "files")
        return
    store = await open_bucket(request.getfixturevalue("s3_endpoint"))
    yield store
    await store.close()


async def test_each_store_keeps_whole_files_under_its_own_keys(a_store: Any) -> None:
    key, other = storage.new_key(7), storage.new_key(7)
    assert storage.tenant_of(key) == 7
    await a_store.put(key, b"first")
    await a_store.put(key, PNG)  # replaced whole
    assert await a_store.get(key) == PNG
    assert await a_store.get(other) is None
    await a_store.delete(key)
    await a_store.delete(key)  # (already gone: nothing happens)
    assert await a_store.get(key) is None
    for bad in ("../../etc/passwd", "7/../../x", "7", "x/" + "0" * 32, f"7/{'0' * 31}g"):
        with pytest.raises(ValueError):
            await a_store.put(bad, b"x")


async def test_the_bucket_is_what_the_settings_name(s3_endpoint: str) -> None:
    base = {"SELLERCARE_ENV": "test", "SECRET_KEY": "s" * 48}
    configured = storage.configure(Settings.from_env({**base, "STORAGE_URL": f"s3://{BUCKET}/a/b",
                                                      "S3_ENDPOINT_URL": s3_endpoint}))
    try:
        assert isinstance(configured, S3Store)
        assert (configured.bucket, configured.prefix, configured.endpoint_url) == (BUCKET, "a/b", s3_endpoint)
        for bad in ("https://bucket", "s3://", "/var/files"):
            with pytest.raises(SettingsError, match="STORAGE_URL"):
                Settings.from_env({**base, "STORAGE_URL": bad})
    finally:
        await storage.close()


async def test_attachments_are_served_from_a_bucket(
        api: Api, shop: TenantFixture, smtp: tuple[Mailbox, int],  # noqa: F811
        bucket: S3Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "_store", bucket)
    channel = await make_channel(api, shop, smtp[1])
    msg = message_from_bytes(mail("Photo", body="See the photo."), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="box.png")
    response = await post(api, channel, msg.as_bytes())
    row = await InboundMessage.get(id=int(response.json()["id"]))
    message = await TicketMessage.filter(ticket_id=row.ticket_id).first()
    assert message is not None
    key = message.attachments[0]["key"]
    client = await bucket.client()
    stored = await client.get_object(Bucket=BUCKET, Key=f"tenant-files/{key}")
    async with stored["Body"] as body:
        assert await body.read() == PNG
    view = await api.data("query($id: ID!) { node(id: $id) { ... on Ticket { messages(first: 1) { nodes { "
                          "attachments { url } } } } } }",
                          {"id": _ticket_gid(row.ticket_id)}, token=shop.token)
    url = view["node"]["messages"]["nodes"][0]["attachments"][0]["url"]
    served = await api.client.get(url)
    assert served.status_code == 200 and served.content == PNG


def _ticket_gid(ticket_id: int | None) -> str:
    from strawberry import relay

    return str(relay.GlobalID("Ticket", str(ticket_id)))
