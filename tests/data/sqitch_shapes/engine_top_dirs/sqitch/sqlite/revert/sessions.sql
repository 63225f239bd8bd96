-- Revert sessions
BEGIN;
DROP TABLE sessions;
COMMIT;
