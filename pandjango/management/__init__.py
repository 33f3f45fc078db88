"""Management commands of the shared floor: cache (show, warm), rawsql (list, show, explain), sections, apitoken."""
