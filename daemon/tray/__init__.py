"""The tray icon: a client of the daemon socket that shows its state and offers its actions.

``model`` turns ``status`` replies into what to show (pure), ``icons`` draws the
icon for each state, ``app`` is the pystray shell. Nothing here imports torch.
"""
