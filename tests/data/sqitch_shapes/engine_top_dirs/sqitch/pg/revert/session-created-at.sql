-- Revert session-created-at
BEGIN;
DROP TABLE session_created_at;
COMMIT;
