-- Deploy sessions-jsonb
BEGIN;
CREATE TABLE sessions_jsonb (id integer);
COMMIT;
