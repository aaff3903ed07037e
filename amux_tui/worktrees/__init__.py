"""A git worktree per session, and what it changed: create, diff, commit, merge, discard.

Driven through the ``git`` CLI (`git.run_git`), blocking: the dashboard calls it from a worker
thread. Worktrees live under amux's state dir (``worktrees/<repo>-<hash>/<name>``) on branches
``amux/<name>``; ``git worktree list`` in the user's repository shows them.
"""
