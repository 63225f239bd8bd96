-- Deploy balances
BEGIN;
CREATE TABLE balances (id integer);
COMMIT;
