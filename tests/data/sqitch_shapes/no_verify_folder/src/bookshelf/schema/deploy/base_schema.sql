-- Deploy base_schema
BEGIN;
CREATE TABLE base_schema (id integer);
COMMIT;
