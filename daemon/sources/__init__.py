"""Mail sources: mbox files (IMAP and the Gmail API come with their own modules)."""
