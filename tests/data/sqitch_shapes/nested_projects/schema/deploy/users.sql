-- Deploy users
BEGIN;
CREATE TABLE users (id integer);
COMMIT;
