-- Deploy snapshot
BEGIN;
CREATE TABLE snapshot (id integer);
COMMIT;
