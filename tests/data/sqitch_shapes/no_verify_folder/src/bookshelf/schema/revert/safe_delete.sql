-- Revert safe_delete
BEGIN;
DROP TABLE safe_delete;
COMMIT;
