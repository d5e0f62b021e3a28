"""Built-in notice channels: email, ics, atom, banner, webhook (one module each)."""
