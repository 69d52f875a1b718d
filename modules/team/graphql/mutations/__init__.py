"""The team module's mutations, grouped by what they change."""
