"""The team module's public services (other modules may call these)."""
