"""The raw SQL registry: the heavy reads that bypass the ORM, named, per vendor, listable."""
