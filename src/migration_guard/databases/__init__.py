"""Database adapters: a throwaway PostgreSQL cluster, sqitch registries, the round-trip gate."""
