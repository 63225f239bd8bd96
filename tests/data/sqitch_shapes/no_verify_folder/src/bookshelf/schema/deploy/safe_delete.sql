-- Deploy safe_delete
BEGIN;
CREATE TABLE safe_delete (id integer);
COMMIT;
