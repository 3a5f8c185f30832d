"""Files in and out: atomic checked writes, bounded readers, weights, sessions, history CSV."""
