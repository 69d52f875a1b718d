"""The crm module's public services: other modules, scripts and jobs call these."""
