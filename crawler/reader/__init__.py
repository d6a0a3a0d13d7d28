"""The reader's pages served by ``portal-archive browse`` (app.py), their charts and the safe view
of a stored page. The data comes from archive/; nothing here writes to the archive."""
