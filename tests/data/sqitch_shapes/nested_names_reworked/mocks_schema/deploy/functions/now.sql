-- Deploy functions/now
BEGIN;
CREATE TABLE functions_now (id integer);
COMMIT;
