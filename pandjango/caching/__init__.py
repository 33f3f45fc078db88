"""Caching of the API's answers: the response store, its backends, lifetimes per endpoint, and the cache's own endpoints."""
