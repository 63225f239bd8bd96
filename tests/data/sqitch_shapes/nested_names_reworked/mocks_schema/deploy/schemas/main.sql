-- Deploy schemas/main
BEGIN;
CREATE TABLE schemas_main (id integer);
COMMIT;
