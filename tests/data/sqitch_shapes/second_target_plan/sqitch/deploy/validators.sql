-- Deploy validators
BEGIN;
CREATE TABLE validators (id integer);
COMMIT;
