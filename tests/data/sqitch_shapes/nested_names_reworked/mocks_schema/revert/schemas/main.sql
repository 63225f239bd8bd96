-- Revert schemas/main
BEGIN;
DROP TABLE schemas_main;
COMMIT;
