"""Mail parsing and cleaning: pure functions from raw bytes to what the user wrote."""
