"""The dashboard's side of the core: thin, textual-free adapters that the screens call.

Everything here is plain Python (no textual import) so it is tested without a UI; the
rooms (`providers`, `harnesses`, `proxy`, `terminal`) do the real work.
"""
