"""Session records: every session amux starts, kept in SQLite in amux's state dir.

`store` is the database (schema, migrations, reads and writes); `liveness` decides which
``running`` records lost their amux and reaps what they left; `commands` is ``amux sessions``.
No textual, no asyncio: the dashboard calls these from a worker thread.
"""
