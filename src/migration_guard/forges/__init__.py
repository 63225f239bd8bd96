"""Forge adapters: who else has an open change, which files it touches, and the sticky comment.

See ``forges.base`` for the contract every provider satisfies and ``forges.context.select_forge``
for how a provider is chosen.
"""
