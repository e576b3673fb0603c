"""Native messaging host: stdio framing and relay to the daemon socket."""
