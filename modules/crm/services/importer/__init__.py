"""Bulk import of customers and orders from CSV or XLSX (docs/scripts.md, "Bulk import").

    result = await run_import(ImportOptions("customers", Path("c.csv"), tenant="acme", channel="Shopify EU"))

readers.py streams the file, columns.py checks the header and each row, customers.py and orders.py
write one batch, writer.py holds the SQLite and PostgreSQL specifics, report.py the XLSX of bad rows.
"""

from modules.crm.services.importer.context import Counts
from modules.crm.services.importer.run import ImportOptions, ImportResult, run_import

__all__ = ["Counts", "ImportOptions", "ImportResult", "run_import"]
