"""The automation module's services: rules (saved and checked), firing them on events, dry runs."""
