"""Management commands of the shared floor: cache (show, warm) and rawsql (list, show, explain)."""
