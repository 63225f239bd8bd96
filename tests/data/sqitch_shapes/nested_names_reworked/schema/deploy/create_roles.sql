-- Deploy create_roles
BEGIN;
CREATE TABLE create_roles (id integer);
COMMIT;
