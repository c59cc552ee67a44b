"""Live updates: the WebSocket endpoint and the Redis pub/sub fan-out between replicas."""
