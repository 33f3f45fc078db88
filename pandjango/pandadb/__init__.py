"""The PanDA data layer: the models of PanDA's tables, the router that keeps them read-only, the all-jobs reader, queues, and the schema and seed commands."""
