"""The HTTP API: parameters and the PanDA filter syntax, the envelope, errors, OpenAPI, and the endpoints every section builds on."""
