"""`sellercare`: serve, worker, migrate, modules, tenants, users, demo, crypto, import."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from core import heap, invitations, lifecycle
from core.access.admin import assign_role_by_name, visible_roles
from core.auth.passwords import configure as configure_passwords
from core.demo import load_demo
from core.errors import UserFacingError, UserFacingErrors
from core.identity import add_user, create_tenant
from core.models import Tenant
from core.registry import Registry, RegistryError
from core.runtime import Runtime
from core.settings import Settings, SettingsError


async def _with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[Any]]) -> Any:
    rt = await Runtime.start(settings)
    try:
        return await work(rt)
    finally:
        await rt.stop()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from schema.app import create_app

    if settings.embedded:
        registry = Registry.discover()
        installed = asyncio.run(lifecycle.migrate_all(settings, registry))
        if installed:
            print(f"installed modules: {', '.join(installed)}")
        asyncio.run(_with_runtime(settings, load_demo))
        print(f"demo tenant 'demo': log in as admin@demo.test at http://{args.host}:{args.port}/graphql")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    import logging

    from workers.supervisor import run_worker

    # Every job's start, end, duration and outcome (arq's own lines), and the worker's reconnects.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # Every job the two workers run at once can hold a connection, and one is left for the rest.
    needed = settings.worker_jobs + settings.worker_cron_jobs + 1
    settings = dataclasses.replace(settings, db_pool_size=max(settings.db_pool_size, needed))

    async def run(rt: Runtime) -> None:
        await rt.start_modules("worker")
        heap.settle_after_startup()
        await run_worker(rt, burst=args.burst, grace=args.grace)

    asyncio.run(_with_runtime(settings, run))


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    installed = asyncio.run(lifecycle.migrate_all(settings, Registry.discover()))
    print(f"installed: {', '.join(installed)}" if installed else "database is up to date")


def cmd_modules(settings: Settings, args: argparse.Namespace) -> None:
    registry = Registry.discover()
    if args.action == "list":
        states = asyncio.run(lifecycle.module_states(settings))
        for name, module in sorted(registry.modules.items()):
            version, state = states.get(name, ("-", "available"))
            deps = ", ".join(module.depends) or "-"
            print(f"{name:<16} {module.version:<10} {state:<12} db={version:<10} depends: {deps}")
        return
    if not args.names and args.action != "upgrade":
        raise RegistryError(f"name the module(s) to {args.action}")
    if args.action == "install":
        done = asyncio.run(lifecycle.install(settings, registry, args.names))
        print(f"installed: {', '.join(done)}" if done else "already installed")
    elif args.action == "upgrade":
        done = asyncio.run(lifecycle.upgrade(settings, registry, args.names or None))
        print(f"upgraded: {', '.join(done)}")
    else:
        for name in args.names:
            asyncio.run(lifecycle.uninstall(settings, registry, name))
            print(f"uninstalled: {name} (its tables and data are kept)")


def cmd_tenants(settings: Settings, args: argparse.Namespace) -> None:
    async def run(rt: Runtime) -> None:
        tenant = await create_tenant(args.slug, args.name, args.locale)
        print(f"created tenant {tenant.slug} (id {tenant.id})")

    asyncio.run(_with_runtime(settings, run))


def cmd_users(settings: Settings, args: argparse.Namespace) -> None:
    """`create` makes a new account (the first admin of a tenant); an e-mail that has an account
    already is refused: `invite` it, and its owner accepts with their own password."""
    password = None
    if args.action == "create":
        password = os.environ.get("SELLERCARE_PASSWORD") or (
            getpass.getpass("password: ") if sys.stdin.isatty() else None)

    async def run(rt: Runtime) -> None:
        tenant = await Tenant.filter(slug=args.tenant).first()
        if tenant is None:
            raise UserFacingError("NOT_FOUND", f"no tenant with slug {args.tenant!r}")
        if args.action == "invite":
            roles = [await visible_roles(tenant.id).filter(name=r).first() for r in args.role]
            unknown = [name for name, role in zip(args.role, roles, strict=True) if role is None]
            if unknown:
                raise UserFacingError("NOT_FOUND", f"no role named {', '.join(unknown)}")
            invitation, token = await invitations.invite(
                rt, tenant.id, None, args.email, args.name, [r.id for r in roles if r is not None])
            print(f"invited {invitation.email} to {tenant.slug}; send them this link "
                  f"(valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):")
            print(invitations.link(rt, token))
            return
        user = await add_user(tenant.id, args.email, args.name, password)
        for role in args.role:
            await assign_role_by_name(tenant.id, user.id, role)
        await rt.policy_changed(tenant.id)
        print(f"added user {user.id} to {tenant.slug} with roles: {', '.join(args.role) or '-'}")

    asyncio.run(_with_runtime(settings, run))


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    tenant = asyncio.run(_with_runtime(settings, load_demo))
    print(f"demo tenant {tenant.slug} is loaded")


def _batch_size(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(value)


def cmd_crypto(settings: Settings, args: argparse.Namespace) -> None:
    from core.crypto import CryptoError
    from core.crypto_rotate import rotate

    async def run(rt: Runtime) -> dict[str, int]:
        return await rotate(batch_size=args.batch_size)

    try:
        counts = asyncio.run(_with_runtime(settings, run))
    except CryptoError as exc:  # names the row and the key id, never a value or a key
        print(f"sellercare: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for label, count in sorted(counts.items()):
        print(f"{label}: {count} rows re-encrypted")
    if not counts:
        print("no encrypted fields in the installed modules")


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Bulk import (docs/scripts.md): no Redis needed, only the database and the encryption keys."""
    from pathlib import Path

    from core.crypto import configure as configure_crypto
    from core.db import close_db, init_db
    from core.i18n import register_domain
    from core.runtime import CORE_LOCALE, installed_modules
    from modules.crm.services.importer import ImportOptions, run_import
    from modules.crm.services.importer.progress import for_stream

    async def run() -> Any:
        configure_crypto(settings)
        await init_db(settings.database_url, [])
        try:
            modules = await installed_modules(Registry.discover())
        finally:
            await close_db()
        if "crm" not in {m.name for m in modules}:
            raise RegistryError("the crm module is not installed (sellercare modules install crm)")
        await init_db(settings.database_url, modules)
        register_domain("core", CORE_LOCALE)
        for module in modules:
            register_domain(module.name, module.locale_dir)
        try:
            return await run_import(ImportOptions(
                args.kind, Path(args.file), args.tenant, args.channel, args.dry_run, args.on_conflict,
                Path(args.errors) if args.errors else None, args.batch_size), for_stream(sys.stderr))
        finally:
            await close_db()

    result = asyncio.run(run())
    c = result.counts
    if result.channel_created:
        print(f"channel {args.channel!r} {'would be' if args.dry_run else 'was'} created (platform: manual)")
    # Counts are of customers or orders: an order of several line rows counts once.
    print(f"{c.total} {args.kind} from {result.rows} rows: {c.created} created, {c.updated} updated, "
          f"{c.unchanged} unchanged, {c.skipped} skipped, {c.failed} failed"
          + (" (dry run: nothing was written)" if args.dry_run else ""))
    for line, column, code in result.samples:
        print(f"sellercare: row {line}: {column or '-'}: {code}", file=sys.stderr)
    if c.failed:
        where = f"see {args.errors}" if args.errors else "pass --errors REPORT.xlsx for the rows and reasons"
        print(f"sellercare: {c.failed} {args.kind} failed and were not imported: {where}", file=sys.stderr)
    return 1 if c.failed else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sellercare", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (embedded mode: also migrate, demo, worker)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run an arq worker for the installed modules")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--grace", type=int, default=25,
                        help="on SIGTERM, seconds running jobs may finish before they are queued again")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="migrate the core and installed modules").set_defaults(
        func=cmd_migrate)
    modules = sub.add_parser("modules", help="list, install, upgrade or uninstall modules")
    modules.add_argument("action", choices=["list", "install", "upgrade", "uninstall"])
    modules.add_argument("names", nargs="*")
    modules.set_defaults(func=cmd_modules)
    tenants = sub.add_parser("tenants", help="create a tenant")
    tenants.add_argument("action", choices=["create"])
    tenants.add_argument("slug")
    tenants.add_argument("name")
    tenants.add_argument("--locale", default="en")
    tenants.set_defaults(func=cmd_tenants)
    users = sub.add_parser("users", help="add a user to a tenant (password from "
                                         "SELLERCARE_PASSWORD or a prompt)")
    users.add_argument("action", choices=["create", "invite"],
                       help="create: a new account with a password; invite: print an invitation link")
    users.add_argument("--tenant", required=True)
    users.add_argument("--email", required=True)
    users.add_argument("--name", default="")
    users.add_argument("--role", action="append", default=[])
    users.set_defaults(func=cmd_users)
    sub.add_parser("demo", help="load the demo tenant").set_defaults(func=cmd_demo)
    crypto = sub.add_parser("crypto", help="re-encrypt personal data under the active key "
                                           "(after adding a key to ENCRYPTION_KEYS)")
    crypto.add_argument("action", choices=["rotate"])
    crypto.add_argument("--batch-size", type=_batch_size, default=500, help="rows per transaction")
    crypto.set_defaults(func=cmd_crypto)
    imp = sub.add_parser("import", help="bulk import customers or orders from CSV or XLSX (docs/scripts.md)")
    imp.add_argument("kind", choices=["customers", "orders"])
    imp.add_argument("file")
    imp.add_argument("--tenant", required=True, help="the tenant's slug")
    imp.add_argument("--channel", help="sales channel name the external ids belong to (created with its first "
                                       "record if new)")
    imp.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    imp.add_argument("--on-conflict", choices=["update", "skip"], default="skip",
                     help="what to do with rows that exist and differ (default: skip)")
    imp.add_argument("--errors", metavar="REPORT.xlsx", help="write the bad rows and reasons here")
    imp.add_argument("--batch-size", type=_batch_size, default=2000, help="rows per transaction")
    imp.set_defaults(func=cmd_import)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        configure_passwords(settings)
        code = args.func(settings, args)
    except (SettingsError, RegistryError) as exc:
        print(f"sellercare: {exc}", file=sys.stderr)
        return 2
    except UserFacingErrors as exc:
        for error in exc.errors:
            print(f"sellercare: {error.localized('en')}", file=sys.stderr)
        return 2
    except UserFacingError as exc:
        print(f"sellercare: {exc.localized('en')}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
