-- Deploy sessions
BEGIN;
CREATE TABLE sessions (id integer);
COMMIT;
