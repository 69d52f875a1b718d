"""Command-line programs: thin layers over the same services the API uses."""
