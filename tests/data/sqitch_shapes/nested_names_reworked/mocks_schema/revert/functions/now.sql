-- Revert functions/now
BEGIN;
DROP TABLE functions_now;
COMMIT;
