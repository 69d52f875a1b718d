"""A real seller's size: 100,000 customers, about 300,000 orders with their lines, addresses and
20,000 tickets, in a PostgreSQL database kept between runs (`sellercare_bench_seller`).

Customers and orders are generated as CSV files in the importer's format (docs/scripts.md) and
loaded through the importer itself (`run_import`, the code behind `sellercare import`), so the data
is what a merchant's import makes of it: e-mails and phones normalised, encrypted and blind-indexed,
tags created by name, products created by SKU, `created_at` stamped per batch. The importer has no
columns for addresses or tickets, so those are COPYed (asyncpg `copy_records_to_table`), their
encrypted columns encrypted by the model's own field; see `load_addresses` and `load_tickets`.

What is in it (seed `SEED`: the same rows on every build with the same libraries; phonenumbers decides which
numbers are valid):
- tenant `seller`: 100,000 customers in 32 countries (phones valid for their country, half written
  nationally; names with accents and CJK; 65% with a birthday; 0 to 3 of 25 tags), 15% of them
  with a second e-mail (a second file imported with `--on-conflict update`), all on the channel
  "Shopify EU"; orders per customer skewed (30% none, a few with 20 to 70), in the customer's
  currency (23 currencies, 2 with no decimals) or sometimes EUR/USD, six statuses with dates to
  match, placed over 3 years, 1 to 6 lines each over 3,000 SKUs; 0 to 3 addresses per customer;
  8 agents; 20,000 tickets over the last 180 days with 1 to 6 messages and 0 to 3 tags each.
- tenant `neighbour`: 2,000 customers and their orders, imported after the seller's (so newer): a
  page that forgot the tenant filter would show them first.

The database is reused when its marker table (`bench_dataset`) names this version and seed and the
row counts it recorded are still there; `--rebuild` (or a mismatch) drops and builds it again,
then ANALYZE. `ensure()` returns what a page benchmark needs (settings, tenant, admin login).

    .venv/bin/python bench/dataset.py [--rebuild] [--keep-csv DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import asyncpg
import phonenumbers
import redis.asyncio as aioredis
from common import PASSWORD, PG_ADMIN_DSN, open_database
from tortoise import connections
from tortoise.fields import JSONField
from tortoise.models import Model

from core import lifecycle, validation
from core.access.admin import assign_role_by_name
from core.db import close_db
from core.encrypted_field import EncryptedTextField
from core.identity import add_user, create_tenant
from core.money import exponent
from core.registry import Registry
from core.settings import Settings
from modules.aftersales.models import Ticket, TicketMessage, TicketTag
from modules.crm.models import Address
from modules.crm.services.importer import ImportOptions, run_import

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "sellercare_bench_seller"
DSN = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/2"  # the seller benchmarks' own Redis database (flushed)
VERSION = 1  # bump when the generated rows change: an older database is then rebuilt
SEED = 20261203
CUSTOMERS = 100_000
NEIGHBOUR_CUSTOMERS = 2_000
TICKETS = 20_000
CHANNEL = "Shopify EU"
SLUG, NEIGHBOUR = "seller", "neighbour"
ADMIN = "admin@seller.test"
AGENTS = 8
END = datetime(2026, 11, 30, tzinfo=UTC)  # orders are placed in the 3 years before; tickets in the last 180 days
START = END - timedelta(days=3 * 365)
MARKER = "bench_dataset"

# code, currency, language, weight, cities
COUNTRIES: tuple[tuple[str, str, str, float, tuple[str, ...]], ...] = (
    ("DE", "EUR", "de-DE", 18, ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Leipzig", "Düsseldorf")),
    ("US", "USD", "en-US", 12, ("New York", "Los Angeles", "Chicago", "Houston", "Seattle", "Austin", "Boston")),
    ("FR", "EUR", "fr-FR", 10, ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux")),
    ("GB", "GBP", "en-GB", 10, ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Edinburgh")),
    ("ES", "EUR", "es-ES", 6, ("Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga")),
    ("IT", "EUR", "it-IT", 6, ("Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze")),
    ("NL", "EUR", "nl-NL", 4, ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven")),
    ("JP", "JPY", "ja-JP", 4, ("東京", "大阪", "横浜", "名古屋", "札幌", "福岡")),
    ("AT", "EUR", "de-AT", 3, ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck")),
    ("PL", "PLN", "pl-PL", 3, ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk")),
    ("CH", "CHF", "de-CH", 2, ("Zürich", "Genève", "Basel", "Bern", "Lausanne")),
    ("BE", "EUR", "fr-BE", 2, ("Bruxelles", "Antwerpen", "Gent", "Liège", "Brugge")),
    ("SE", "SEK", "sv-SE", 2, ("Stockholm", "Göteborg", "Malmö", "Uppsala")),
    ("AU", "AUD", "en-AU", 2, ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide")),
    ("CA", "CAD", "en-CA", 2, ("Toronto", "Montréal", "Vancouver", "Calgary", "Ottawa")),
    ("DK", "DKK", "da-DK", 1, ("København", "Aarhus", "Odense")),
    ("NO", "NOK", "nb-NO", 1, ("Oslo", "Bergen", "Trondheim")),
    ("FI", "EUR", "fi-FI", 1, ("Helsinki", "Espoo", "Tampere")),
    ("IE", "EUR", "en-IE", 1, ("Dublin", "Cork", "Galway")),
    ("PT", "EUR", "pt-PT", 1, ("Lisboa", "Porto", "Braga")),
    ("CZ", "CZK", "cs-CZ", 1, ("Praha", "Brno", "Ostrava")),
    ("KR", "KRW", "ko-KR", 1, ("서울", "부산", "인천")),
    ("MX", "MXN", "es-MX", 1, ("Ciudad de México", "Guadalajara", "Monterrey")),
    ("BR", "BRL", "pt-BR", 1, ("São Paulo", "Rio de Janeiro", "Belo Horizonte")),
    ("IN", "INR", "en-IN", 1, ("Mumbai", "Bengaluru", "Delhi", "Chennai")),
    ("SG", "SGD", "en-SG", 0.5, ("Singapore",)),
    ("HK", "HKD", "zh-Hant-HK", 0.5, ("香港", "Kowloon")),
    ("TR", "TRY", "tr-TR", 0.5, ("İstanbul", "Ankara", "İzmir")),
    ("AE", "AED", "ar-AE", 0.5, ("Dubai", "Abu Dhabi")),
    ("IL", "ILS", "he-IL", 0.5, ("Tel Aviv", "Jerusalem", "Haifa")),
    ("ZA", "ZAR", "en-ZA", 0.5, ("Johannesburg", "Cape Town", "Durban")),
    ("NZ", "NZD", "en-NZ", 0.5, ("Auckland", "Wellington", "Christchurch")),
)
EUR_RATE = {"EUR": 1, "USD": 1.08, "GBP": 0.85, "JPY": 160, "PLN": 4.3, "CHF": 0.95, "SEK": 11.4, "AUD": 1.65,
            "CAD": 1.47, "DKK": 7.46, "NOK": 11.6, "CZK": 25, "KRW": 1450, "MXN": 18.5, "BRL": 5.4, "INR": 90,
            "SGD": 1.45, "HKD": 8.4, "TRY": 35, "AED": 3.97, "ILS": 4.0, "ZAR": 20, "NZD": 1.8}
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "de": (("Lukas", "Anna", "Jonas", "Lea", "Maximilian", "Sophie", "Felix", "Marie", "Jürgen", "Emma", "Björn"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Hoffmann")),
    "en": (("James", "Olivia", "Oliver", "Amelia", "Jack", "Isla", "Harry", "Emily", "Noah", "Ava", "Liam"),
           ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Johnson", "O'Brien")),
    "fr": (("Louis", "Camille", "Hugo", "Léa", "Gabriel", "Chloé", "Arthur", "Manon", "Raphaël", "Inès"),
           ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Lefèvre", "Mercier")),
    "es": (("Hugo", "Lucía", "Martín", "Sofía", "Mateo", "Valentina", "Álvaro", "Paula", "Iker", "Martina"),
           ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Núñez")),
    "pt": (("João", "Beatriz", "Rodrigo", "Mariana", "Tiago", "Inês", "Gonçalo", "Ana"),
           ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Gonçalves")),
    "it": (("Leonardo", "Giulia", "Francesco", "Aurora", "Alessandro", "Sofia", "Lorenzo", "Ginevra"),
           ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci")),
    "nl": (("Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess"),
           ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit")),
    "pl": (("Jakub", "Zuzanna", "Antoni", "Julia", "Jan", "Zofia", "Szymon", "Hanna"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski")),
    "cs": (("Jakub", "Eliška", "Jan", "Tereza", "Tomáš", "Anna"), ("Novák", "Svoboda", "Dvořák", "Černý", "Procházka")),
    "nordic": (("Lars", "Ingrid", "Erik", "Astrid", "Mikko", "Aino", "Søren", "Freja", "Oskar", "Elsa"),
               ("Johansson", "Andersson", "Nielsen", "Hansen", "Korhonen", "Jensen", "Larsen", "Virtanen")),
    "ja": (("陽翔", "結菜", "蓮", "陽葵", "湊", "凛", "Haruto", "Yui"),
           ("佐藤", "鈴木", "高橋", "田中", "伊藤", "Watanabe")),
    "ko": (("민준", "서연", "도윤", "서윤", "Minjun", "Seoyeon"), ("김", "이", "박", "최", "Kim", "Park")),
    "zh": (("偉", "芳", "Wing", "Mei"), ("陳", "李", "Chan", "Wong")),
    "tr": (("Yusuf", "Zeynep", "Eymen", "Elif", "Miraç"), ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik")),
    "ar": (("Mohammed", "Fatima", "Ahmed", "Mariam", "Omar"), ("Al Mansouri", "Al Hashimi", "Haddad", "Nasser")),
    "he": (("Noam", "Tamar", "Ariel", "Noa"), ("Cohen", "Levi", "Mizrahi", "Peretz")),
}
NAME_GROUP = {"da": "nordic", "nb": "nordic", "sv": "nordic", "fi": "nordic"}
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "gmx.de", "web.de", "t-online.de", "orange.fr",
           "free.fr", "hotmail.co.uk", "libero.it", "yahoo.co.jp", "naver.com", "protonmail.com", "shop-mail.net")
TAGS = ("VIP", "Newsletter", "Wholesale", "Returns often", "Gift buyer", "B2B", "Influencer", "Black Friday 2025",
        "Loyalty", "Fraud check", "Marketplace", "EU", "Repeat buyer", "Discount hunter", "Prefers email",
        "Do not call", "Press", "Employee", "Friends & family", "Pre-order", "Sample", "High value",
        "Complaint 2024", "Beta tester", "Retail partner")
TIERS = (("standard", 80), ("silver", 12), ("gold", 6), ("vip", 2))
# orders per customer: (weight, low, high)
ORDER_COUNTS = ((30, 0, 0), (31, 1, 1), (20, 2, 3), (12, 4, 8), (6, 9, 20), (1.5, 21, 60))
STATUSES = (("delivered", 60), ("shipped", 8), ("paid", 10), ("pending", 4), ("cancelled", 10), ("refunded", 8))
CARRIERS = ("DHL", "UPS", "DPD", "GLS", "Hermes", "Royal Mail", "USPS", "La Poste", "Yamato", "PostNL")
LINE_COUNTS = ((45, 1), (30, 2), (15, 3), (5, 4), (3, 5), (2, 6))
PRODUCTS = 3_000
ADJECTIVES = ("Classic", "Organic", "Slim", "Oversized", "Recycled", "Premium", "Vintage", "Travel", "Kids", "Pro")
NOUNS = ("T-Shirt", "Hoodie", "Sneaker", "Backpack", "Mug", "Phone case", "Water bottle", "Lamp", "Scarf", "Watch",
         "Headphones", "Yoga mat", "Notebook", "Candle", "Sunglasses")
SIZES = ("XS", "S", "M", "L", "XL", "one size")
STREETS = ("Main Street", "Hauptstraße", "Rue de la Paix", "Calle Mayor", "Via Roma", "Kerkstraat", "High Street",
           "Bahnhofstraße", "Avenue Victor Hugo", "Ulica Długa", "Storgatan", "Oak Avenue")
TICKET_SUBJECTS = ("Where is my order {n}?", "Wrong size delivered", "Refund for order {n}", "Item arrived damaged",
                   "Change my delivery address", "Invoice needed for {n}", "Exchange request", "Discount code not "
                   "working", "Cancel order {n}", "Product question", "Return label missing", "Late delivery")
TICKET_TAGS = ("vip", "fragile", "late", "refund", "damaged", "wrong-size", "repeat", "b2b")


# ---------------------------------------------------------------------------------------------
# Generation


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _pick(rng: random.Random, items: Sequence[Any], cum: list[float]) -> Any:
    return items[bisect(cum, rng.random() * cum[-1])]


def _ascii(text: str) -> str:
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in out if ch.isalnum())


def _amount(minor: int, currency: str) -> str:
    digits = exponent(currency)
    if digits == 0:
        return str(minor)
    sign, text = "-" if minor < 0 else "", str(abs(minor)).rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def _phones(rng: random.Random, country: str, count: int = 400) -> list[str]:
    """Numbers `validation.phone` accepts for `country` (varied from the example mobile number), half in
    E.164, half written nationally."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise RuntimeError(f"phonenumbers has no example mobile number for {country}")
    national = phonenumbers.national_significant_number(example)
    code = example.country_code
    out: list[str] = []
    for _ in range(count * 4):
        digits = national[:-4] + f"{rng.randrange(10_000):04d}"
        number = phonenumbers.parse(f"+{code}{digits}")
        if not phonenumbers.is_valid_number(number):
            continue
        fmt = phonenumbers.PhoneNumberFormat.E164 if len(out) % 2 else phonenumbers.PhoneNumberFormat.NATIONAL
        text = phonenumbers.format_number(number, fmt)
        validation.phone(text, country)  # the importer's own check: a row error here would be a bug
        out.append(text)
        if len(out) == count:
            break
    if not out:
        raise RuntimeError(f"no valid phone numbers generated for {country}")
    return out


@dataclass
class Files:
    customers: Path
    more_emails: Path  # external_id + a second e-mail, imported with --on-conflict update
    orders: Path
    neighbour_customers: Path
    neighbour_orders: Path
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Person:
    """What the rest of the build needs of a generated customer (addresses, tickets)."""

    external_id: str
    first: str
    last: str
    country: str


def _customers(rng: random.Random, path: Path, n: int, prefix: str, extra: Path | None
               ) -> tuple[list[Person], list[str], int]:
    """Writes the customers file; returns the people, each one's currency and the second e-mails written."""
    for code, currency, language, _, _ in COUNTRIES:  # the generator's constants, checked as the importer will
        assert validation.country(code) == code and validation.currency(currency) == currency
        assert validation.language(language) == language, (language, validation.language(language))
    phones = {c[0]: _phones(rng, c[0]) for c in COUNTRIES}
    country_cum = _cum([c[3] for c in COUNTRIES])
    tier_cum = _cum([w for _, w in TIERS])
    names = {k: (v[0], v[1], [_ascii(x) for x in v[0]], [_ascii(x) for x in v[1]]) for k, v in NAMES.items()}
    tier_names = [t for t, _ in TIERS]
    people: list[Person] = []
    currencies: list[str] = []
    second = 0
    with contextlib.ExitStack() as files:
        w = csv.writer(files.enter_context(path.open("w", newline="", encoding="utf-8")))
        x = csv.writer(files.enter_context(extra.open("w", newline="", encoding="utf-8"))) if extra else None
        w.writerow(["external_id", "email", "phone", "first_name", "last_name", "country", "language", "currency",
                    "tier", "birthday", "tags"])
        if x:
            x.writerow(["external_id", "email"])
        for i in range(n):
            code, currency, language, _, _ = _pick(rng, COUNTRIES, country_cum)
            lang = language.split("-")[0]
            firsts, lasts, a_firsts, a_lasts = names[NAME_GROUP.get(lang, lang if lang in names else "en")]
            fi, li = rng.randrange(len(firsts)), rng.randrange(len(lasts))
            ext = f"{prefix}{i:07d}"
            local = f"{a_firsts[fi] or 'kunde'}.{a_lasts[li] or 'x'}{i}"
            email = f"{local}@{DOMAINS[rng.randrange(len(DOMAINS))]}"
            if rng.random() < 0.2:
                email = email.title()  # stored lower-cased
            r = rng.random()
            birthday = "" if r < 0.35 else date.fromordinal(
                date(1950, 1, 1).toordinal() + rng.randrange(20_454)).isoformat() + ("T00:00:00" if r > 0.9 else "")
            tags = "; ".join(rng.sample(TAGS, rng.choice((0, 0, 0, 1, 1, 2, 3))))
            phone = "" if rng.random() < 0.1 else phones[code][rng.randrange(len(phones[code]))]
            w.writerow([ext, email, phone, firsts[fi], lasts[li], code, language, currency,
                        _pick(rng, tier_names, tier_cum), birthday, tags])
            if x and rng.random() < 0.15:
                x.writerow([ext, f"{local}.work@{DOMAINS[rng.randrange(len(DOMAINS))]}"])
                second += 1
            people.append(Person(ext, firsts[fi], lasts[li], code))
            currencies.append(currency)
    return people, currencies, second


def _catalog(rng: random.Random) -> list[tuple[str, str, int]]:
    """(SKU, name, price in euro cents)."""
    return [(f"SKU-{k:05d}", f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(SIZES)}",
             int(300 * (1.5 ** rng.uniform(0, 10)))) for k in range(PRODUCTS)]


def _orders(rng: random.Random, path: Path, people: Sequence[Person], currencies: Sequence[str], prefix: str
            ) -> tuple[int, int]:
    """Writes the orders file (one row per line, an order's rows consecutive, orders by placed_at);
    returns (orders, lines)."""
    count_cum = _cum([w for w, _, _ in ORDER_COUNTS])
    status_cum, status_names = _cum([w for _, w in STATUSES]), [s for s, _ in STATUSES]
    line_cum, line_counts = _cum([w for w, _ in LINE_COUNTS]), [n for _, n in LINE_COUNTS]
    catalog = _catalog(rng)
    span = int((END - START).total_seconds())
    orders: list[tuple[int, int, str]] = []  # (seconds after START, customer index, currency)
    for i in range(len(people)):
        _, low, high = _pick(rng, ORDER_COUNTS, count_cum)
        for _ in range(rng.randint(low, high)):
            currency = currencies[i] if rng.random() < 0.9 else ("EUR" if currencies[i] != "EUR" else "USD")
            orders.append((rng.randrange(span), i, currency))
    orders.sort()
    lines_written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "number", "customer_external_id", "status", "currency", "total", "subtotal",
                    "shipping", "tax", "discount", "placed_at", "paid_at", "shipped_at", "delivered_at", "carrier",
                    "tracking_number", "sku", "product_name", "quantity", "unit_price"])
        for j, (offset, i, currency) in enumerate(orders):
            placed = START + timedelta(seconds=offset)
            status = _pick(rng, status_names, status_cum)
            if END - placed < timedelta(days=3) and status in ("delivered", "refunded"):
                status = "paid"
            rate, scale = EUR_RATE[currency], 10 ** exponent(currency) / 100
            lines = []
            for _ in range(_pick(rng, line_counts, line_cum)):
                sku, name, cents = catalog[rng.randrange(PRODUCTS)]
                quantity = 1 if rng.random() < 0.75 else rng.randint(2, 5)
                lines.append((sku, name, quantity, max(1, round(cents * rate * scale))))
            subtotal = sum(q * p for _, _, q, p in lines)
            shipping = 0 if subtotal >= 50 * 100 * rate * scale else round(495 * rate * scale)
            tax = round(subtotal * 0.19)
            discount = round(subtotal * 0.1) if rng.random() < 0.1 else 0
            total = subtotal + shipping + tax - discount
            paid = placed + timedelta(minutes=rng.randint(1, 90)) if status != "pending" and (
                status != "cancelled" or rng.random() < 0.5) else None
            shipped = placed + timedelta(hours=rng.randint(12, 72)) if status in ("shipped", "delivered",
                                                                                  "refunded") else None
            delivered = shipped + timedelta(hours=rng.randint(24, 120)) if shipped and status != "shipped" else None
            carrier = CARRIERS[rng.randrange(len(CARRIERS))] if shipped else ""
            tracking = f"{carrier[:2].upper()}{rng.randrange(10**11):011d}" if shipped else ""
            head = [f"{prefix}{j:07d}", f"{prefix}-{100_000 + j}", people[i].external_id, status, currency,
                    _amount(total, currency), _amount(subtotal, currency), _amount(shipping, currency),
                    _amount(tax, currency), _amount(discount, currency), placed.isoformat(),
                    paid.isoformat() if paid else "", shipped.isoformat() if shipped else "",
                    delivered.isoformat() if delivered else "", carrier, tracking]
            for k, (sku, name, quantity, price) in enumerate(lines):
                # an order's later rows leave its columns empty, as the importer allows
                w.writerow([*(head if k == 0 else [head[0]] + [""] * (len(head) - 1)), sku, name, quantity,
                            _amount(price, currency)])
            lines_written += len(lines)
    return len(orders), lines_written


def generate(folder: Path, seed: int = SEED, customers: int = CUSTOMERS) -> tuple[Files, list[Person]]:
    """Write the import files into `folder`; returns them and the seller's customers (in file order)."""
    rng = random.Random(seed)
    files = Files(folder / "customers.csv", folder / "more_emails.csv", folder / "orders.csv",
                  folder / "neighbour_customers.csv", folder / "neighbour_orders.csv")
    people, currencies, second = _customers(rng, files.customers, customers, "C", files.more_emails)
    orders, lines = _orders(rng, files.orders, people, currencies, "SO")
    n_people, n_currencies, _ = _customers(rng, files.neighbour_customers, NEIGHBOUR_CUSTOMERS, "N", None)
    n_orders, n_lines = _orders(rng, files.neighbour_orders, n_people, n_currencies, "NO")
    files.counts = {"customers": customers, "second_emails": second, "orders": orders, "lines": lines,
                    "neighbour_customers": NEIGHBOUR_CUSTOMERS, "neighbour_orders": n_orders,
                    "neighbour_lines": n_lines}
    return files, people


# ---------------------------------------------------------------------------------------------
# Loading


async def copy_models(conn: asyncpg.Connection, model: type[Model], rows: Sequence[dict[str, Any]]) -> None:
    """COPY rows (field name -> value) into the model's table: a missing field takes the model's default,
    an encrypted field is encrypted by the field itself, JSON is dumped. The id comes from the table's
    sequence."""
    meta = model._meta
    names = [n for n in meta.fields_db_projection if n != meta.pk_attr]
    columns = [meta.fields_db_projection[n] for n in names]
    fields = [meta.fields_map[n] for n in names]
    now = datetime.now(UTC)

    def value(f: Any, name: str, row: dict[str, Any]) -> Any:
        if name in row:
            v = row[name]
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            v = now
        elif f.default is not None:
            v = f.default() if callable(f.default) else f.default
        else:
            v = None
        if isinstance(f, EncryptedTextField):
            return f.to_db_value(v, None)
        if isinstance(f, JSONField):
            return json.dumps(v)
        return v

    records = [tuple(value(f, n, row) for f, n in zip(fields, names, strict=True)) for row in rows]
    await conn.copy_records_to_table(meta.db_table, records=records, columns=columns)


async def load_addresses(conn: asyncpg.Connection, rng: random.Random, tenant_id: int, people: Sequence[Person]
                         ) -> int:
    """0 to 3 addresses per customer (10% none, 45% one, 35% two, 10% three), the first of each kind its
    default (as services/addresses.py keeps it), mostly in the customer's country; written with COPY since
    the importer has no address columns."""
    ids = dict(await conn.fetch("SELECT external_id, customer_id FROM crm_identity WHERE tenant_id = $1", tenant_id))
    cities = {c[0]: c[4] for c in COUNTRIES}
    codes = [c[0] for c in COUNTRIES]
    rows: list[dict[str, Any]] = []
    for p in people:
        count = _pick(rng, (0, 1, 2, 3), _cum((10, 45, 35, 10)))
        seen: set[str] = set()
        for k in range(count):
            kind = "shipping" if k != 1 else "billing"
            country = p.country if rng.random() < 0.9 else rng.choice(codes)
            rows.append({"tenant_id": tenant_id, "customer_id": ids[p.external_id], "kind": kind,
                         "name": f"{p.first} {p.last}", "line1": f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
                         "line2": f"Apt {rng.randint(1, 90)}" if rng.random() < 0.2 else None,
                         "postal_code": f"{rng.randrange(10_000, 99_999)}", "city": rng.choice(cities[country]),
                         "region": "", "country": country, "is_default": kind not in seen})
            seen.add(kind)
    await copy_models(conn, Address, rows)
    return len(rows)


async def load_tickets(conn: asyncpg.Connection, rng: random.Random, tenant_id: int, agents: Sequence[int],
                       count: int = TICKETS) -> tuple[int, int, int]:
    """Tickets with 1 to 6 messages and 0 to 3 tags, created over the last 180 days, each of a customer and
    mostly assigned; written with COPY (the importer has no tickets; the services make one ticket at a
    time). The tenant's ticket counter is set after them, as `next_number` would have left it."""
    customers = [r[0] for r in await conn.fetch("SELECT id FROM crm_customer WHERE tenant_id = $1", tenant_id)]
    statuses = (("new", 15), ("open", 30), ("pending_customer", 15), ("on_hold", 5), ("resolved", 25),
                ("closed", 10))
    status_cum = _cum([w for _, w in statuses])
    tickets: list[dict[str, Any]] = []
    messages: list[tuple[int, list[tuple[str, datetime]]]] = []
    for n in range(1, count + 1):
        created = END - timedelta(seconds=rng.randrange(180 * 86_400))
        status = _pick(rng, [s for s, _ in statuses], status_cum)
        thread = []
        at = created
        for m in range(rng.randint(1, 6)):
            thread.append(("inbound" if m % 2 == 0 else rng.choice(("outbound", "outbound", "note")), at))
            at += timedelta(minutes=rng.randint(5, 3000))
        running = status in ("new", "open", "on_hold")
        tickets.append({"tenant_id": tenant_id, "number": n, "subject": rng.choice(TICKET_SUBJECTS).format(
            n=f"SO-{rng.randrange(100_000, 400_000)}"), "type": rng.choice(("inquiry", "complaint", "return",
                                                                          "refund", "shipping")),
            "channel": rng.choice(("email", "email", "chat", "platform", "web_form")),
            "language": rng.choice(("en", "de", "fr", "es", "it")), "status": status,
            "priority": _pick(rng, ("low", "normal", "high", "urgent"), _cum((20, 55, 20, 5))),
            "assignee_id": rng.choice(agents) if rng.random() < 0.75 else None,
            "customer_id": rng.choice(customers), "created_at": created, "updated_at": thread[-1][1],
            "last_message_at": thread[-1][1],
            "first_response_at": thread[1][1] if len(thread) > 1 else None,
            "resolved_at": thread[-1][1] if status in ("resolved", "closed") else None,
            "closed_at": thread[-1][1] if status == "closed" else None,
            "next_sla_due": created + timedelta(hours=rng.randint(1, 72)) if running else None,
            "sla_paused_at": thread[-1][1] if status == "pending_customer" else None,
            "sla_breached": running and rng.random() < 0.1})
        messages.append((n, thread))
    await copy_models(conn, Ticket, tickets)
    by_number = dict(await conn.fetch("SELECT number, id FROM aftersales_ticket WHERE tenant_id = $1", tenant_id))
    rows = [{"tenant_id": tenant_id, "ticket_id": by_number[n], "kind": kind, "created_at": at,
             "body": f"Message {k + 1} of ticket {n}: " + ("Hello, I am still waiting for my parcel. "
                                                            if kind == "inbound" else "Thank you for waiting. ") * 3,
             "author_id": rng.choice(agents) if kind != "inbound" else None}
            for n, thread in messages for k, (kind, at) in enumerate(thread)]
    await copy_models(conn, TicketMessage, rows)
    tags = [{"tenant_id": tenant_id, "ticket_id": by_number[n], "name": name}
            for n, _ in messages for name in rng.sample(TICKET_TAGS, rng.choice((0, 0, 1, 1, 2, 3)))]
    await copy_models(conn, TicketTag, tags)
    await conn.execute("INSERT INTO aftersales_ticket_counter (tenant_id, issued) VALUES ($1, $2) "
                       "ON CONFLICT (tenant_id) DO UPDATE SET issued = EXCLUDED.issued", tenant_id, count)
    return len(tickets), len(rows), len(tags)


# ---------------------------------------------------------------------------------------------
# The database


@dataclass
class Seller:
    """What a page benchmark needs of the data set."""

    env: dict[str, str]  # for common.serve / Settings.from_env
    settings: Settings
    tenant_id: int
    slug: str
    admin_id: int
    admin_email: str
    password: str
    counts: dict[str, int]  # rows in the seller tenant, as the marker recorded them
    built: str  # when the database was built


def environment(var_dir: str) -> dict[str, str]:
    """The app's environment over the seller database (SECRET_KEY fixed: the stored data must decrypt
    in every later run)."""
    return {"SELLERCARE_ENV": "test", "SECRET_KEY": "b" * 48, "SELLERCARE_VAR_DIR": var_dir,
            "DATABASE_URL": DSN, "REDIS_URL": REDIS_URL}


async def live_counts(conn: asyncpg.Connection, tenant_id: int) -> dict[str, int]:
    counts = {}
    for key, table in (("customers", "crm_customer"), ("contacts", "crm_contact"), ("addresses", "crm_address"),
                       ("orders", "crm_order"), ("lines", "crm_order_line"), ("tickets", "aftersales_ticket"),
                       ("messages", "aftersales_ticket_message")):
        counts[key] = int(await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant_id))  # noqa: S608
    return counts


async def _reusable(log: Callable[[str], None]) -> dict[str, Any] | None:
    """The marker's content when the database holds this version's data set, else None."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME):
            log(f"{DB_NAME}: no such database")
            return None
    finally:
        await admin.close()
    conn = await asyncpg.connect(DSN)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", MARKER):
            log(f"{DB_NAME}: no marker table (a build that did not finish)")
            return None
        row = await conn.fetchrow(f"SELECT version, seed, info FROM {MARKER}")  # noqa: S608
        if row is None or row["version"] != VERSION or row["seed"] != SEED:
            log(f"{DB_NAME}: built by another version or seed ({dict(row) if row else None})")
            return None
        info = dict(json.loads(row["info"]))
        live = await live_counts(conn, info["tenant_id"])
        if live != info["counts"]:
            log(f"{DB_NAME}: counts changed since the build ({live} != {info['counts']})")
            return None
        return info
    finally:
        await conn.close()


def _megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 2**20


def _clean_up(folder: Path, keep: Path | None) -> None:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        for p in folder.iterdir():
            shutil.copy(p, keep / p.name)
    shutil.rmtree(folder, ignore_errors=True)


async def build(var_dir: str, log: Callable[[str], None], keep_csv: Path | None = None) -> dict[str, Any]:
    """Drop and build the database: generate, import, COPY addresses and tickets, ANALYZE, mark."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    timings: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="sellercare-seller-"))
    try:
        t0 = time.perf_counter()
        files, people = generate(folder)
        timings["generate"] = time.perf_counter() - t0
        size = _megabytes(folder)
        log(f"generated in {timings['generate']:.1f} s: {files.counts} ({size:.0f} MB of CSV)")
        t_load = time.perf_counter()
        await open_database(environment(var_dir))
        try:
            tenant = await create_tenant(SLUG, "Seller (bench)")
            user = await add_user(tenant.id, ADMIN, "Admin", PASSWORD)
            await assign_role_by_name(tenant.id, user.id, "admin")
            agents = [user.id]
            for i in range(1, AGENTS):
                agent = await add_user(tenant.id, f"agent{i}@seller.test", f"Agent {i}", PASSWORD)
                await assign_role_by_name(tenant.id, agent.id, "agent")
                agents.append(agent.id)
            await create_tenant(NEIGHBOUR, "Neighbour (bench)")
            for label, kind, path, slug, conflict, expected in (
                    ("customers", "customers", files.customers, SLUG, "skip", files.counts["customers"]),
                    ("second e-mails", "customers", files.more_emails, SLUG, "update",
                     files.counts["second_emails"]),
                    ("orders + lines", "orders", files.orders, SLUG, "skip", files.counts["orders"]),
                    ("neighbour customers", "customers", files.neighbour_customers, NEIGHBOUR, "skip",
                     files.counts["neighbour_customers"]),
                    ("neighbour orders", "orders", files.neighbour_orders, NEIGHBOUR, "skip",
                     files.counts["neighbour_orders"])):
                t = time.perf_counter()
                result = await run_import(ImportOptions(kind, path, slug, channel=CHANNEL, on_conflict=conflict))
                timings[f"import {label}"] = time.perf_counter() - t
                c = result.counts
                log(f"  import {label}: {result.rows:,} rows in {timings[f'import {label}']:.1f} s "
                    f"({result.rows / timings[f'import {label}']:,.0f} rows/s): {c.created} created, "
                    f"{c.updated} updated, {c.failed} failed {result.samples[:3]}")
                assert c.failed == 0 and c.created + c.updated == expected, (label, c, expected)
            client: Any = connections.get("default")
            rng = random.Random(SEED + 1)
            async with client.acquire_connection() as conn:
                t = time.perf_counter()
                addresses = await load_addresses(conn, rng, tenant.id, people)
                timings["addresses"] = time.perf_counter() - t
                log(f"  COPY {addresses:,} addresses in {timings['addresses']:.1f} s")
                t = time.perf_counter()
                tickets, messages, tags = await load_tickets(conn, rng, tenant.id, agents)
                timings["tickets"] = time.perf_counter() - t
                log(f"  COPY {tickets:,} tickets, {messages:,} messages, {tags:,} tags in {timings['tickets']:.1f} s")
                t = time.perf_counter()
                await conn.execute("ANALYZE")
                timings["analyze"] = time.perf_counter() - t
                counts = await live_counts(conn, tenant.id)
                timings["load"] = time.perf_counter() - t_load
                info = {"tenant_id": tenant.id, "admin_id": user.id, "counts": counts, "timings": timings,
                        "built": datetime.now(UTC).isoformat(timespec="seconds")}
                await conn.execute(f"CREATE TABLE {MARKER} (version int NOT NULL, seed bigint NOT NULL, "
                                   "info jsonb NOT NULL)")
                await conn.execute(f"INSERT INTO {MARKER} VALUES ($1, $2, $3)", VERSION, SEED,  # noqa: S608
                                   json.dumps(info))
        finally:
            await close_db()
        log(f"loaded in {timings['load']:.1f} s (ANALYZE {timings['analyze']:.1f} s); generation + load "
            f"{timings['generate'] + timings['load']:.1f} s; seller tenant: {counts}")
        return info
    finally:
        _clean_up(folder, keep_csv)


async def ensure(rebuild: bool = False, log: Callable[[str], None] = print, keep_csv: Path | None = None) -> Seller:
    """The seller data set, built unless the database already holds it; Redis db 2 flushed (ours)."""
    var_dir = tempfile.mkdtemp(prefix="sellercare-seller-var-")
    info = None if rebuild else await _reusable(log)
    if info is None:
        info = await build(var_dir, log, keep_csv)
    else:
        log(f"{DB_NAME}: reused (built {info['built']}): {info['counts']}")
    client = aioredis.from_url(REDIS_URL)
    await client.flushdb()  # no rate-limit or cache keys of an earlier run
    await client.aclose()
    env = environment(var_dir)
    # The product's schema as it is now (a data set built before a migration gets it, as a
    # merchant's database would): installs new modules, adds columns and indexes.
    await lifecycle.migrate_all(Settings.from_env(env), Registry.discover())
    return Seller(env=env, settings=Settings.from_env(env), tenant_id=info["tenant_id"], slug=SLUG,
                  admin_id=info["admin_id"], admin_email=ADMIN, password=PASSWORD, counts=info["counts"],
                  built=info["built"])


async def clone(prefix: str) -> str:
    """A copy of the data set that one run may write to (`CREATE DATABASE ... TEMPLATE`): its name.
    The caller drops it (tests.conftest.drop_pg_database)."""
    sys.path.insert(0, str(ROOT))  # the repository, for its tests' helpers
    from tests.conftest import create_pg_database

    name = f"{prefix}_{os.getpid()}"
    await create_pg_database(name, template=DB_NAME)
    return name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rebuild", action="store_true", help=f"drop {DB_NAME} and build it again")
    parser.add_argument("--keep-csv", type=Path, help="copy the generated CSV files into this folder")
    parser.add_argument("--generate-only", type=Path, metavar="DIR",
                        help="only write the CSV files into DIR (and time it); no database")
    args = parser.parse_args(argv)
    if args.generate_only:
        args.generate_only.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files, _ = generate(args.generate_only)
        print(f"generated in {time.perf_counter() - t0:.1f} s: {files.counts}")
        return 0
    asyncio.run(ensure(args.rebuild, keep_csv=args.keep_csv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
