"""The API as a whole: the schema composed from installed modules, its limits, and the HTTP app."""
