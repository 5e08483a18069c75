"""Use cases: read the world, call the core and the engine, return data. Never print."""
