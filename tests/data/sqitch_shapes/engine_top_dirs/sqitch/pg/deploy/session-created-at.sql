-- Deploy session-created-at
BEGIN;
CREATE TABLE session_created_at (id integer);
COMMIT;
