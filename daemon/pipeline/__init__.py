"""Raw mail to clean records in the store: ingest, one sync pass over all accounts, feedback."""
