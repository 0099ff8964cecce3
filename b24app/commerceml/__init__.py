"""CommerceML 2.x / 3.1: the files of 1C's built-in exchange with a website (catalog, offers, orders)."""
