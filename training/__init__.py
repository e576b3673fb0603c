"""Everything that touches model weights. Never imports panza.daemon."""
