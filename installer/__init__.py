"""Browser host manifests, service units, extension packaging."""
