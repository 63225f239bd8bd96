"""Services shared by several commands (no command imports another)."""
