-- Deploy appschema
BEGIN;
CREATE TABLE appschema (id integer);
COMMIT;
