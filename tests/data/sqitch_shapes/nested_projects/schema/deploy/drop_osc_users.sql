-- Deploy drop_osc_users
BEGIN;
CREATE TABLE drop_osc_users (id integer);
COMMIT;
