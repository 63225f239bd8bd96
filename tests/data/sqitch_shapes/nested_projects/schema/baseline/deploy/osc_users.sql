-- Deploy osc_users
BEGIN;
CREATE TABLE osc_users (id integer);
COMMIT;
