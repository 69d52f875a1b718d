"""Extract, update and compile the message catalogs: `python -m scripts.i18n` (`make i18n`).

One gettext domain per catalog: "core" (sources core/, schema/, workers/) and one per module
folder under modules/ (its name; sources: the folder). Messages are the `N_()` and gettext calls,
plus the `label` of each `Permission(...)` in the module's `__init__.py`. For each domain this
writes `<locale>/messages.pot`, updates or creates `<locale>/<lang>/LC_MESSAGES/<domain>.po`
(translations kept) and compiles the `.mo` beside it. Running it twice changes nothing.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core.i18n import SUPPORTED

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PROJECT = "sellercare"
# Lines that change on every run; ignored when deciding whether a file needs rewriting.
VOLATILE = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')


@dataclass(frozen=True)
class Domain:
    name: str
    locale_dir: Path
    sources: tuple[Path, ...]
    manifest: Path | None = None  # a module's __init__.py, holding its Permission(...) labels


def domains() -> Iterator[Domain]:
    yield Domain("core", ROOT / "core" / "locale", (ROOT / "core", ROOT / "schema", ROOT / "workers"))
    for folder in sorted((ROOT / "modules").iterdir()):
        if (folder / "__init__.py").is_file():
            yield Domain(folder.name, folder / "locale", (folder,), folder / "__init__.py")


def permission_labels(path: Path) -> Iterator[tuple[str, int]]:
    """The literal `label` of each `Permission(resource, action, label)` call in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "Permission":
            continue
        label = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg == "label"), None)
        if isinstance(label, ast.Constant) and isinstance(label.value, str):
            yield label.value, node.lineno


def template(domain: Domain) -> Catalog:
    pot = Catalog(domain=domain.name, project=PROJECT, copyright_holder=PROJECT, fuzzy=False)
    for source in domain.sources:
        if not source.is_dir():
            continue
        prefix = source.relative_to(ROOT).as_posix()
        for filename, lineno, message, comments, context in extract_from_dir(
            source, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
        ):
            pot.add(message, None, [(f"{prefix}/{filename}", lineno)], auto_comments=comments,
                    context=context)
    if domain.manifest is not None:
        location = domain.manifest.relative_to(ROOT).as_posix()
        for label, lineno in permission_labels(domain.manifest):
            pot.add(label, None, [(location, lineno)], auto_comments=["Permission label"])
    return pot


def _stable(content: bytes) -> bytes:
    return b"\n".join(line for line in content.splitlines() if not line.startswith(VOLATILE))


def save_po(path: Path, catalog: Catalog) -> bool:
    """Write a .po/.pot unless only its dates would change; True when written."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, ignore_obsolete=True)
    content = buffer.getvalue()
    if path.exists() and _stable(path.read_bytes()) == _stable(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def load_or_create(path: Path, lang: str, domain: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fp:
            return read_po(fp, locale=lang, domain=domain)
    return Catalog(locale=lang, domain=domain, project=PROJECT, copyright_holder=PROJECT, fuzzy=False)


def build(domain: Domain) -> None:
    pot = template(domain)
    if save_po(domain.locale_dir / "messages.pot", pot):
        print(f"{domain.name}: wrote messages.pot ({len(pot)} messages)")
    for lang in SUPPORTED:
        po_path = domain.locale_dir / lang / "LC_MESSAGES" / f"{domain.name}.po"
        catalog = load_or_create(po_path, lang, domain.name)
        catalog.update(pot, no_fuzzy_matching=True)  # a wrong guess is worse than a gap
        if save_po(po_path, catalog):
            print(f"{domain.name}: updated {po_path.relative_to(ROOT)}")
        untranslated = sum(1 for m in list(catalog)[1:] if not m.string or m.fuzzy)
        if untranslated and lang != "en":
            print(f"{domain.name}: {lang} has {untranslated} untranslated or fuzzy message(s)")
        with po_path.open("rb") as fp:
            compiled = read_po(fp, locale=lang, domain=domain.name)
        with po_path.with_suffix(".mo").open("wb") as fp:
            write_mo(fp, compiled)


def main() -> None:
    for domain in domains():
        build(domain)


if __name__ == "__main__":
    main()
