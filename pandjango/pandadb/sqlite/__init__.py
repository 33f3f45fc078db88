"""Django's SQLite backend, which never creates a database file while serving a request."""
