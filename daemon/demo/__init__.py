"""The demo (``make demo``) and its sample: the persona's mailbox, a loopback Dovecot and Google."""
