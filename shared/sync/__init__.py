"""The pure sync core: tenant matching, user scope, the planner; imports nothing of ours but models."""
