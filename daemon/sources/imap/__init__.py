"""IMAP: the Sent-folder reader (``sent``), the connection and its retries (``conn``),
login and OAuth, inbox and Drafts folders, and the pure parsing of cursors, folders and
FETCH items."""
