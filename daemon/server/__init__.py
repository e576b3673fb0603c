"""The running daemon: composition root, socket server, handlers, schedules, drafting."""
