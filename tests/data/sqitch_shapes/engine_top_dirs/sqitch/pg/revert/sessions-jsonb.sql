-- Revert sessions-jsonb
BEGIN;
DROP TABLE sessions_jsonb;
COMMIT;
