"""The crm module's mutations."""
