"""Django database backend for the embedded PostgreSQL cluster (see `server.py`).

It is the PostgreSQL backend (with Prometheus metrics) whose first failed connection starts the
cluster and creates the database, then connects again: commands that never touch the database never
start it, and a process that finds it running pays nothing.
"""
