-- Revert snapshot
BEGIN;
DROP TABLE snapshot;
COMMIT;
