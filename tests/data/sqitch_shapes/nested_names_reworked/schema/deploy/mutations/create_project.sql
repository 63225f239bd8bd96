-- Deploy mutations/create_project
BEGIN;
CREATE TABLE mutations_create_project (id integer);
COMMIT;
