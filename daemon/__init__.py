"""The Panza daemon: config, state store, mail sources and cleaning, CLI."""
