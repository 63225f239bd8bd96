-- Revert balances
BEGIN;
DROP TABLE balances;
COMMIT;
