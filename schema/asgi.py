"""ASGI entry for process managers: `uvicorn schema.asgi:app --workers 4` (settings from env)."""

from schema.app import create_app

app = create_app()
