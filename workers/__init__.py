"""arq workers: settings composed from the installed modules' jobs, cron entries and handlers."""
