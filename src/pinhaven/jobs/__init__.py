"""Jobs: the durable queue (rows in the main database), retries, dead letters, the worker loop."""
